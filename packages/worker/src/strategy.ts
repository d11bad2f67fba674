/**
 * What the worker does with each incoming message before it runs (Celery
 * `celery/worker/consumer/consumer.py` `create_task_handler` and `celery/worker/strategy.py`):
 *
 * - body that cannot be decoded or is not accepted → logged as critical with the task id, **acked**
 *   (dropped) and nothing stored, as Celery does;
 * - signed (`auth`) body refused — bad signature, unknown signer, signer certificate expired or not
 *   yet valid — → logged once as critical with the task id and name, **rejected** without requeue
 *   (dead-lettered where the queue has one, where Celery acks) and nothing stored or run;
 * - neither protocol v2 nor v1 → "unknown message", logged and rejected without requeue;
 * - invalid eta/expires → rejected without requeue;
 * - unknown task name → rejected without requeue and FAILURE `NotRegistered` stored;
 * - expired (checked on receipt and again when due) → REVOKED (`expired`) stored and acked;
 * - eta past the channel's horizon, on a broker that parks (Redis, SQLite) → parked there until due
 *   and settled, not received (see `eta-parking.ts`; cq, beyond Celery);
 * - eta in the future → held on a timer until due, with the prefetch count raised while held, up to
 *   `worker_eta_task_limit` unacknowledged messages in all (see `eta-schedule.ts`);
 * - a debounced task (`applyAsync(…, { deduplicationMode: 'debounce' })`) that a later call replaced →
 *   acked and dropped when due (see `deduplication.ts`; cq, beyond Celery);
 * - a task type with a rate limit (`rateLimit`, `task_default_rate_limit`, unless
 *   `worker_disable_rate_limits`) → held in its token bucket until it may run (see `rate-limit.ts`);
 * - otherwise handed to the pool.
 *
 * A body over `worker_max_body_size` (as received or once decompressed) or nested too deep is
 * "cannot be decoded" (kombu's DecodeLimitError). The reports of the first four outcomes go through
 * the worker's rate-limited {@link BadMessageLog}, so a flood of bad messages cannot fill a disk.
 */
import { SecurityError, type Message } from '@cq/kombu';
import { NotRegistered, decodeTaskMessage, readDeduplicationHeader, type Celery, type Task, type TaskRequestFields } from '@cq/app';
import type { Backend } from '@cq/backend';
import type { Logger } from '@cq/app';
import { isTaskMessage, task_received, task_rejected, task_revoked, task_unknown } from '@cq/app';
import { continueOnRevoked } from '@cq/canvas';
import { Request, backendRequest, type RequestEnv } from './request.js';
import type { Pool } from './pool.js';
import type { PoolJob } from './job-window.js';
import { EtaSchedule } from './eta-schedule.js';
import { parkIfFar } from './eta-parking.js';
import { RateLimiter, parseRate } from './rate-limit.js';
import { workerSettings } from './settings.js';
import { BadMessageLog } from './bad-message-log.js';
import { debounceGate, releaseWhenReady } from './deduplication.js';

export interface StrategyHooks {
  /** Raises (> 0) or lowers (< 0) the channel's prefetch while ETA tasks are held. */
  adjustPrefetch(delta: number): void;
  /** The prefetch count without held tasks (0 = unlimited); with `worker_eta_task_limit` it bounds the raise. Default 0. */
  basePrefetch?: number;
  /** Sender of task_unknown and task_rejected (the worker's consumer); default: the strategy. */
  consumer?: object;
  /** Where bad-message reports go, rate-limited (the worker's); default: one of its own on the env's log. */
  badMessages?: BadMessageLog;
}

export class TaskStrategy {
  /** ETA tasks held in memory until due. */
  readonly eta: EtaSchedule<Request>;
  /** Requests of rate-limited task types waiting for a token. */
  readonly rateLimiter: RateLimiter<Request>;
  /** Revoked task ids (Celery `worker_state.revoked`), set by the Control step; checked on receipt and when due. */
  revoked: { has(id: string): boolean } | null = null;
  /** Reports of undecodable, refused, invalid and unknown-task messages (rate-limited). */
  readonly badMessages: BadMessageLog;

  constructor(
    private readonly app: Celery,
    private readonly pool: Pool,
    private readonly env: RequestEnv,
    private readonly hooks: StrategyHooks,
  ) {
    this.badMessages = hooks.badMessages ?? new BadMessageLog(env.log);
    this.eta = new EtaSchedule<Request>({
      limit: workerSettings(app.conf).worker_eta_task_limit,
      basePrefetch: hooks.basePrefetch ?? 0,
      adjustPrefetch: (delta) => hooks.adjustPrefetch(delta),
      due: (request) => void this.dispatch(request),
    });
    this.rateLimiter = new RateLimiter<Request>(
      (name) => this.rateLimitOf(name),
      (request) => this.pool.apply(new StrategyJob(this, request)),
    );
  }

  /** A pool job's run ({@link StrategyJob}): revoked or expired while it waited (rate limit, pool queue) — Celery checks again before running. */
  runJob(request: Request): Promise<void> {
    return this.mustDiscard(request)
      ? this.revokeIfExpired(request).then(() => this.env.onReleased?.(request))
      : request.execute();
  }

  /** A pool job's requeue ({@link StrategyJob}): given back to the broker unstarted (warm shutdown). */
  async requeueJob(request: Request): Promise<void> {
    this.env.onReleased?.(request);
    await request.message.reject(true);
  }

  /** The rate limit of a task type, or null; an invalid one is logged and ignored. */
  private rateLimitOf(name: string): string | number | null {
    if (workerSettings(this.app.conf).worker_disable_rate_limits) return null;
    const rate = this.app.tasks.get(name)?.options.rateLimit ?? this.app.conf.task_default_rate_limit;
    try {
      parseRate(rate);
      return rate ?? null;
    } catch (err) {
      this.log.error(`Task ${name}: ${errText(err)}; running it without a rate limit`);
      return null;
    }
  }

  /** ETA tasks held in memory, keyed by task id and delivery tag (`inspect scheduled`). */
  get scheduled(): ReadonlyMap<string, { item: Request; eta: number }> {
    return this.eta.held;
  }

  private get log(): Logger {
    return this.env.log;
  }

  private get backend(): Backend | null {
    return this.env.backend;
  }

  /**
   * Handles one message; never throws. Returns a promise only when something had to be waited for (a
   * bad message settled, a far ETA parked, a discarded task stored): the common path allocates none.
   */
  onMessage(message: Message): Promise<void> | undefined {
    let payload: unknown;
    try {
      payload = message.decode();
    } catch (err) {
      return this.undecodable(message, err);
    }
    let fields: TaskRequestFields;
    try {
      fields = decodeTaskMessage(message.headers, message.properties, payload);
    } catch (err) {
      return this.invalid(message, payload, err);
    }
    const task = this.app.tasks.get(fields.name);
    if (!task) return this.unregistered(message, fields);
    if (fields.eta) return this.receiveEta(message, fields, task);
    return this.receive(new Request(message, fields, task, this.env));
  }

  /** `id:` of a message in reports: its `id` header, else its delivery tag. */
  private static headerId(message: Message): string {
    return typeof message.headers['id'] === 'string' ? message.headers['id'] : `delivery ${message.deliveryTag}`;
  }

  /** A body that cannot be decoded (dropped: acked) or a refused signed one (rejected). */
  private async undecodable(message: Message, err: unknown): Promise<void> {
    const headerId = TaskStrategy.headerId(message);
    if (err instanceof SecurityError) {
      this.badMessages.report('fatal', `Refused signed message ${String(message.headers['task'] ?? '?')}[${headerId}]: ${err.message}; rejected`);
      await message.reject(false).catch(() => undefined);
      return;
    }
    this.badMessages.report('fatal', `Can't decode message body: ${errText(err)} (type:${message.contentType} encoding:${message.contentEncoding} id:${headerId}); message dropped`);
    await message.ack().catch(() => undefined);
  }

  /** Not a (valid) task message: rejected without requeue. */
  private async invalid(message: Message, payload: unknown, err: unknown): Promise<void> {
    const headerId = TaskStrategy.headerId(message);
    this.badMessages.report('error', `Received invalid or unknown message (id:${headerId}): ${errText(err)}; rejected`);
    await message.reject(false).catch(() => undefined);
    // Celery sends task_rejected for a message of unknown type only, not for an invalid task message.
    const v1 = typeof payload === 'object' && payload !== null && Object.hasOwn(payload, 'task');
    if (!isTaskMessage(message.headers) && !v1) task_rejected.send(this.hooks.consumer ?? this, { message, exc: null });
  }

  /** A task this worker does not know: rejected without requeue, FAILURE `NotRegistered` stored. */
  private async unregistered(message: Message, fields: TaskRequestFields): Promise<void> {
    this.badMessages.report('error', `Received unregistered task of type '${fields.name}' (id:${fields.id}). The message has been ignored and discarded. Did you register it with app.task() in the module given to -A?`);
    await message.reject(false).catch(() => undefined);
    if (this.backend) {
      await this.backend.markAsFailure(fields.id, new NotRegistered(fields.name), null, backendRequest(fields, this.env.hostname, message.deliveryInfo.routing_key)).catch((e: unknown) => this.log.error(`could not store NotRegistered for ${fields.id}: ${errText(e)}`));
    }
    task_unknown.send(this.hooks.consumer ?? this, { name: fields.name, id: fields.id, message, exc: new NotRegistered(fields.name) });
  }

  /** A task with an ETA: parked on the broker when far (see `eta-parking.ts`), else received. */
  private async receiveEta(message: Message, fields: TaskRequestFields, task: Task): Promise<void> {
    if (await parkIfFar(message, fields.eta!.getTime(), `${fields.name}[${fields.id}]`, this.log)) return;
    await this.receive(new Request(message, fields, task, this.env));
  }

  /** A task received: discarded when expired or revoked, held until a future ETA, else dispatched. */
  private receive(request: Request): Promise<void> | undefined {
    const { fields, message } = request;
    if (this.log.isLevelEnabled('info')) this.log.info(`Task ${fields.name}[${fields.id}] received`);
    if (this.mustDiscard(request)) return this.revokeIfExpired(request).then(NOOP);
    if (task_received.receivers > 0) task_received.send(this.hooks.consumer ?? this, { request: fields });
    if (fields.eta && fields.eta.getTime() > Date.now()) {
      this.eta.hold(`${fields.id}/${message.deliveryTag}`, fields.eta.getTime(), request);
      return undefined;
    }
    return this.dispatch(request);
  }

  /** A due request: revoked if it expired meanwhile, else to its rate limit lane or the pool. */
  private dispatch(request: Request): Promise<void> | undefined {
    if (this.mustDiscard(request)) return this.revokeIfExpired(request).then(NOOP);
    // A debounced message a later call replaced is dropped here, when due (see deduplication.ts).
    if (readDeduplicationHeader(request.message.headers)?.mode === 'debounce') {
      return debounceGate(this.app, request, this.log).then((dropped) => {
        if (!dropped) this.release(request);
      });
    }
    this.release(request);
    return undefined;
  }

  /** Hands a due request on: the worker's reserved requests, then its rate limit lane or the pool. */
  private release(request: Request): void {
    this.env.onReserved?.(request);
    this.rateLimiter.add(request.fields.name, request);
  }

  /** The synchronous test of {@link revokeIfExpired}, so that most requests skip it: unsettled, and expired or revoked. */
  private mustDiscard(request: Request): boolean {
    if (request.message.acknowledged) return false;
    const { expires, id } = request.fields;
    return (expires !== null && expires.getTime() <= Date.now()) || this.revoked?.has(id) === true;
  }

  /** Stores REVOKED (`expired`/`revoked`) and acks when the request expired or its id was revoked; true if so. */
  private async revokeIfExpired(request: Request): Promise<boolean> {
    if (request.message.acknowledged) return false; // settled meanwhile (e.g. terminated)
    const { fields, message } = request;
    const expired = Boolean(fields.expires && fields.expires.getTime() <= Date.now());
    // Celery `Request.revoked()`: expired, or flagged by a `revoke` command (reason `revoked`).
    if (expired || this.revoked?.has(fields.id)) {
      this.log.info(`Discarding revoked task: ${fields.name}[${fields.id}]${expired ? ' (expired)' : ''}`);
      if (this.backend && !fields.ignoreResult) {
        await this.backend.markAsRevoked(fields.id, expired ? 'expired' : 'revoked', null).catch((e: unknown) => this.log.error(`could not store REVOKED for ${fields.id}: ${errText(e)}`));
      }
      // Celery `mark_as_revoked`: a chord header part counts as REVOKED, which fails the chord's body.
      await continueOnRevoked({ app: this.env.app, request: request.request }, expired ? 'expired' : 'revoked').catch((e: unknown) =>
        this.log.error(`could not count ${fields.id} as a revoked part of chord ${fields.group ?? ''}: ${errText(e)}`));
      await message.ack().catch(() => undefined);
      task_revoked.send(request.task, { request: request.request, terminated: false, signum: null, expired });
      await releaseWhenReady(this.app, request, 'REVOKED', this.log);
      return true;
    }
    return false;
  }

  /** Cancels held ETA and rate-limited tasks and returns their messages to the broker (warm shutdown). */
  async releaseScheduled(): Promise<number> {
    const held = [...this.eta.takeAll(), ...this.rateLimiter.takePending()];
    for (const request of held) {
      this.env.onReleased?.(request);
      await request.message.reject(true).catch(() => undefined);
    }
    return held.length;
  }
}

const NOOP = (): void => undefined;

/** A request handed to the pool: one small object per task, its methods on the prototype. */
class StrategyJob implements PoolJob {
  constructor(private readonly strategy: TaskStrategy, private readonly request: Request) {}

  run(): Promise<void> {
    return this.strategy.runJob(this.request);
  }

  requeue(): Promise<void> {
    return this.strategy.requeueJob(this.request);
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
