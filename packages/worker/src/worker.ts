/** The worker (Celery `celery/worker/worker.py` `WorkController`); see {@link Worker}. */
import type { Queue } from '@cq/kombu';
import { deferred } from '@cq/vine';
import { worker_init, worker_ready, worker_shutdown, worker_shutting_down, workerDirect, type Celery, type Logger } from '@cq/app';
import { registerBuiltins } from '@cq/canvas';
import { Blueprint, type StepClass } from './bootsteps.js';
import { ConsumerComponent } from './components/consumer.js';
import { PoolComponent } from './components/pool.js';
import type { Consumer } from './consumer/consumer.js';
import { WorkerError, WorkerStateError } from './errors.js';
import { nodename } from './hostname.js';
import type { Pool, PoolFactory, PoolName } from './pool.js';
import type { Request } from './request.js';
import { BadMessageLog } from './bad-message-log.js';
import { workerSettings } from './settings.js';

/** `warm` < `soft` < `cold`: a later call may only make a shutdown harder. */
export type ShutdownMode = 'warm' | 'soft' | 'cold';
const RANK: Record<ShutdownMode, number> = { warm: 0, soft: 1, cold: 2 };

/** The worker blueprint's built-in steps (Celery `WorkController.Blueprint.default_steps`). */
export const WORKER_STEPS: readonly StepClass[] = [PoolComponent, ConsumerComponent];

export interface WorkerOptions {
  /** Node name; `%h` expands to the host name. Default `celery@%h` (Celery `-n`). */
  hostname?: string;
  /**
   * `prefork` (child processes), `threads` (worker threads), `async`, `solo`, or a factory building
   * another pool (Celery `-P`, `pool_cls`). Default: the `worker_pool` setting, else `prefork` when
   * `appModule` is given, else `async`. `prefork` and `threads` need `appModule`.
   */
  pool?: PoolName | PoolFactory;
  /**
   * The module the app is loaded from in each child of a `prefork`/`threads` pool (the CLI's `-A`):
   * an absolute path or file URL of a `.js`/`.ts` file exporting the app as `app` or default;
   * `path:name` picks another export. Children run only the task functions; the parent keeps the
   * broker, acks, results and retries.
   */
  appModule?: string;
  /** Tasks run at once (`-c`). Default: `worker_concurrency`, else the number of CPUs for prefork/threads, 100 for async, 1 for solo. */
  concurrency?: number;
  /** prefork/threads: replace a child after this many tasks (`--max-tasks-per-child`, `worker_max_tasks_per_child`). Default: never. */
  maxTasksPerChild?: number;
  /** prefork/threads: replace a child whose memory passes this many **KiB** after a task (`--max-memory-per-child`, `worker_max_memory_per_child`). Default: no limit. */
  maxMemoryPerChild?: number;
  /** prefork/threads: grow and shrink between `min` and `max` children with the load (`--autoscale max,min`). `max` sets the prefetch. */
  autoscale?: { max: number; min: number };
  /** Queue names to consume (`-Q`). Default: the app's `task_queues` or `task_default_queue`. */
  queues?: string[];
  /** Queue names not to consume, removed from the above (`-X`, `--exclude-queues`). */
  excludeQueues?: string[];
  /** Default: `worker_prefetch_multiplier` (4). Prefetch = concurrency × multiplier; 0 = unlimited. */
  prefetchMultiplier?: number;
  /** Worker-wide hard/soft time limits in seconds (`--time-limit`, `--soft-time-limit`). */
  timeLimit?: number;
  softTimeLimit?: number;
  log?: Logger;
  /** Leave out the consumer's Gossip step (Celery `--without-gossip`). Default false. */
  withoutGossip?: boolean;
  /** Leave out the Mingle step even with `worker_mingle` (Celery `--without-mingle`). Default false. */
  withoutMingle?: boolean;
  /** Leave out the Heart step: no `worker-online`/`-heartbeat`/`-offline` events (Celery `--without-heartbeat`). Default false. */
  withoutHeartbeat?: boolean;
  /** The blueprint's built-in steps. Default {@link WORKER_STEPS}; `app.steps.worker` is added to them. */
  steps?: Iterable<StepClass>;
}

export type WorkerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The worker (Celery `celery.apps.worker.Worker` / `celery/worker/worker.py` `WorkController`, docs
 * "Workers Guide"): a {@link Blueprint} of bootsteps.
 * Built-in steps, in start order: {@link PoolComponent} (`worker.pool`) and {@link ConsumerComponent}
 * (`worker.consumer`, itself a blueprint: connection, QoS, tasks). Steps added with
 * `app.steps.worker.add(Step)` start after the steps they require; all stop in reverse.
 *
 * ```ts
 * const worker = new Worker(app, { pool: 'async', concurrency: 50 });
 * await worker.start();
 * process.once('SIGTERM', () => void worker.stop());   // warm shutdown
 * ```
 *
 * Shutdown stages (Celery 5.5, docs "Worker shutdown"), see {@link Worker.shutdown}: every stage
 * stops consuming and gives prefetched and ETA-held messages back to the broker; *warm* then waits for
 * the running tasks, *soft* waits at most `worker_soft_shutdown_timeout` s and then cancels them,
 * *cold* cancels them at once. A cancelled task's `signal` fires ({@link WorkerTerminate}), RETRY is
 * stored and an acks-late message goes back to the queue. Signals sent: `worker_init` (before start),
 * `worker_ready` (consuming), `worker_shutting_down` (stage entered), `worker_shutdown` (stopped).
 *
 * Options ({@link WorkerOptions}, the `celery worker` flags and `worker_*` settings): `pool`
 * (`-P`: `prefork`, `threads`, `async`, `solo` or a factory; default `worker_pool`, else `prefork`
 * with `appModule`, else `async`), `concurrency` (`-c`), `queues` / `excludeQueues` (`-Q` / `-X`),
 * `prefetchMultiplier` (`worker_prefetch_multiplier`, default 4; prefetch = concurrency ×
 * multiplier), `timeLimit` / `softTimeLimit` in **seconds**, `maxMemoryPerChild` in **KiB**,
 * `maxTasksPerChild`, `autoscale`, `hostname` (default `celery@%h`), and `without*` to leave out
 * the gossip, mingle and heart steps.
 *
 * Errors (errors.ts): the constructor throws `WorkerError` when every queue is excluded or the
 * blueprint builds no pool, and `BootstepError` / `BootstepCycleError` for a bad step list; `start`
 * rejects with `WorkerStateError` when called twice (create a new Worker instead), with
 * `PoolStartError` when a prefork/threads child cannot load `appModule`, and with the failing step's
 * error (the started steps are stopped first); broker failures are kombu's `TransportError`s.
 */
export class Worker {
  readonly hostname: string;
  /** Set by the Pool step. */
  pool!: Pool;
  /** Set by the Consumer step. */
  consumer: Consumer | null = null;
  readonly queues: Queue[];
  readonly prefetchCount: number;
  readonly blueprint: Blueprint<Worker>;
  readonly log: Logger;
  /** Bad-message reports (undecodable, refused, invalid, unknown task), written to `log` rate-limited. */
  readonly badMessages: BadMessageLog;
  state: WorkerState = 'new';
  /** Tasks finished since start, by outcome. */
  readonly stats = { processed: 0, succeeded: 0, failed: 0, retried: 0 };
  /** Requests running now (Celery `worker.state.active_requests`). */
  readonly activeRequests = new Set<Request>();
  /**
   * Requests received and due, not yet begun: waiting for a rate-limit token, in the pool's queue, or
   * prefetched in a child (Celery `worker.state.reserved_requests` minus the active ones).
   */
  readonly reservedRequests = new Set<Request>();
  /** The shutdown stage in effect; null while not stopping. */
  shutdownMode: ShutdownMode | null = null;
  /** Messages given back to the broker during shutdown (Celery's `Restoring N unacknowledged message(s)`). */
  restored = 0;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private escalation = deferred<'escalated'>();

  /**
   * Builds the blueprint (steps are created now, so `pool`, `queues` and `prefetchCount` are known
   * before `start`). Throws QueueNotFound for a queue missing from `task_queues`, WorkerError
   * when every queue is excluded, BootstepError/BootstepCycleError for bad steps.
   */
  constructor(readonly app: Celery, readonly options: WorkerOptions = {}) {
    // Celery's built-in tasks (celery.chord_unlock, celery.group, ...) run in every worker.
    registerBuiltins(app);
    this.hostname = nodename(options.hostname);
    this.log = options.log ?? app.log;
    this.badMessages = new BadMessageLog(this.log);
    const names = options.queues && options.queues.length > 0 ? options.queues : null;
    const excluded = new Set(options.excludeQueues ?? []);
    this.queues = (names?.map((q) => app.queue(q)) ?? app.defaultQueues()).filter((q) => !excluded.has(q.name));
    if (this.queues.length === 0) throw new WorkerError(`every queue is excluded (-X ${[...excluded].join(',')}): nothing to consume`);
    // Celery `setup_queues`: with worker_direct, also `<hostname>.dq2` on exchange C.dq2.
    if (workerSettings(app.conf).worker_direct) this.queues = [...this.queues, workerDirect(this.hostname)];
    this.blueprint = new Blueprint<Worker>('Worker', options.steps ?? WORKER_STEPS, app.steps.worker).apply(this);
    if (!this.pool) throw new WorkerError('the worker blueprint created no pool: keep PoolComponent in its steps');
    const multiplier = options.prefetchMultiplier ?? workerSettings(app.conf).worker_prefetch_multiplier;
    this.prefetchCount = multiplier > 0 ? this.pool.limit * multiplier : 0;
  }

  /**
   * Sends `worker_init` (awaited), starts the steps in order (pool, then the consumer: connection,
   * QoS, tasks), sends `worker_ready` and logs `<hostname> ready.`. Calling it twice throws
   * WorkerStateError; a step failing to start stops the started ones and rethrows.
   */
  start(): Promise<void> {
    if (this.state !== 'new') return Promise.reject(new WorkerStateError(`worker already ${this.state}: create a new Worker to start again`));
    this.state = 'starting';
    this.starting = (async () => {
      await worker_init.sendAsync(this, {});
      try {
        await this.blueprint.start(this);
      } catch (err) {
        this.state = 'stopped';
        throw err;
      }
      if (this.shutdownMode !== null) return;
      this.state = 'running';
      await worker_ready.sendAsync(this.consumer ?? this, {});
      this.log.info(`${this.hostname} ready.`);
    })();
    return this.starting;
  }

  /** Warm shutdown: `shutdown('warm')`. */
  stop(): Promise<void> {
    return this.shutdown('warm');
  }

  /**
   * Stops the worker at a stage (see the module doc); resolves once stopped and the connections
   * closed. Called again with a harder stage while stopping, it escalates (warm → soft → cold) and
   * returns the same promise; an easier stage changes nothing. Sends `worker_shutting_down` for each
   * stage entered (`sig` as given, `exitcode` 0 for warm, 1 otherwise) and `worker_shutdown` at the end.
   */
  shutdown(how: ShutdownMode = 'warm', options: { sig?: string | null } = {}): Promise<void> {
    if (this.stopping) {
      if (this.shutdownMode !== null && RANK[how] > RANK[this.shutdownMode]) this.enter(how, options.sig ?? null);
      return this.stopping;
    }
    if (this.state === 'stopped') return Promise.resolve();
    if (this.state === 'new') {
      this.state = 'stopped';
      return Promise.resolve();
    }
    this.enter(how, options.sig ?? null);
    this.stopping = this.runShutdown();
    return this.stopping;
  }

  /** Resolves with 'escalated' at the next harder shutdown stage (for steps that wait while stopping). */
  whenEscalated(): Promise<'escalated'> {
    return this.escalation.promise;
  }

  /**
   * Cancels the running tasks, except acks-late ones already acked (Celery
   * `cancel_all_unacked_requests`); see `Request.terminate`. Resolves with the messages requeued.
   */
  async cancelActiveRequests(): Promise<number> {
    const requests = [...this.activeRequests].filter((r) => !(r.acksLate && r.message.acknowledged));
    if (requests.length === 0) return 0;
    this.log.warn(`Cancelling ${requests.length} running task(s)`);
    const requeued = (await Promise.all(requests.map((r) => r.terminate()))).filter(Boolean).length;
    this.restored += requeued;
    return requeued;
  }

  /** Names of registered tasks, sorted, without Celery's built-in `celery.*` ones (the banner's `[tasks]`). */
  registeredTasks(): string[] {
    return [...this.app.tasks.keys()].filter((n) => !n.startsWith('celery.')).sort();
  }

  /** ETA tasks held in memory now (`inspect scheduled`). */
  get scheduledCount(): number {
    return this.consumer?.strategy?.scheduled.size ?? 0;
  }

  /** What `inspect stats` will show: pid, totals and each step's `info()` (Celery `WorkController.info` + `stats`). */
  info(): Record<string, unknown> {
    return { pid: process.pid, hostname: this.hostname, total: { ...this.stats }, ...this.blueprint.info(this) };
  }

  private enter(how: ShutdownMode, sig: string | null): void {
    const escalating = this.shutdownMode !== null;
    this.shutdownMode = how;
    worker_shutting_down.send(this.hostname, { sig, how, exitcode: how === 'warm' ? 0 : 1 });
    if (escalating) {
      const previous = this.escalation;
      this.escalation = deferred<'escalated'>();
      previous.resolve('escalated');
    }
  }

  private async runShutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    try {
      await this.blueprint.stop(this, { terminate: this.shutdownMode === 'cold' });
    } finally {
      if (this.restored > 0) this.log.warn(`Restoring ${this.restored} unacknowledged message(s)`);
      try {
        await this.blueprint.shutdown(this);
      } finally {
        this.state = 'stopped';
        await worker_shutdown.sendAsync(this, {});
      }
    }
  }
}
