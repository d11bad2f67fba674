/**
 * What the worker does with each incoming message before it runs (Celery
 * `celery/worker/consumer/consumer.py` `create_task_handler` and `celery/worker/strategy.py`):
 *
 * - body that cannot be decoded or is not accepted → logged as critical with the task id, **acked**
 *   (dropped) and nothing stored, as Celery does;
 * - neither protocol v2 nor v1 → "unknown message", logged and rejected without requeue;
 * - invalid eta/expires → rejected without requeue;
 * - unknown task name → rejected without requeue and FAILURE `NotRegistered` stored;
 * - expired → REVOKED (`expired`) stored and acked;
 * - eta in the future → held on a timer until due, with the prefetch count raised while held;
 * - otherwise handed to the pool.
 */
import type { Message } from '@cq/kombu';
import { NotRegistered, decodeTaskMessage, type Celery, type TaskRequestFields } from '@cq/app';
import type { Backend } from '@cq/backend';
import type { Logger } from '@cq/app';
import { Request, backendRequest, type RequestEnv } from './request.js';
import type { Pool } from './pool.js';

export interface StrategyHooks {
  /** Raises (+1) or lowers (-1) the channel's prefetch while an ETA task is held. */
  adjustPrefetch(delta: number): void;
}

export class TaskStrategy {
  /** ETA tasks held in memory, by task id. */
  readonly scheduled = new Map<string, { timer: NodeJS.Timeout; message: Message; fields: TaskRequestFields }>();

  constructor(
    private readonly app: Celery,
    private readonly pool: Pool,
    private readonly env: RequestEnv,
    private readonly hooks: StrategyHooks,
  ) {}

  private get log(): Logger {
    return this.env.log;
  }

  private get backend(): Backend | null {
    return this.env.backend;
  }

  /** Handles one message; never throws. */
  async onMessage(message: Message): Promise<void> {
    const headerId = typeof message.headers['id'] === 'string' ? (message.headers['id'] as string) : `delivery ${message.deliveryTag}`;
    let payload: unknown;
    try {
      payload = message.decode();
    } catch (err) {
      this.log.fatal(`Can't decode message body: ${errText(err)} (type:${message.contentType} encoding:${message.contentEncoding} id:${headerId}); message dropped`);
      await message.ack().catch(() => undefined);
      return;
    }
    let fields: TaskRequestFields;
    try {
      fields = decodeTaskMessage(message.headers, message.properties, payload);
    } catch (err) {
      this.log.error(`Received invalid or unknown message (id:${headerId}): ${errText(err)}; rejected`);
      await message.reject(false).catch(() => undefined);
      return;
    }
    const task = this.app.tasks.get(fields.name);
    if (!task) {
      this.log.error(`Received unregistered task of type '${fields.name}' (id:${fields.id}). The message has been ignored and discarded. Did you register it with app.task() in the module given to -A?`);
      await message.reject(false).catch(() => undefined);
      if (this.backend) {
        await this.backend.markAsFailure(fields.id, new NotRegistered(fields.name), null, backendRequest(fields, this.env.hostname, message.deliveryInfo.routing_key)).catch((e: unknown) => this.log.error(`could not store NotRegistered for ${fields.id}: ${errText(e)}`));
      }
      return;
    }
    const request = new Request(message, fields, task, this.env);
    this.log.info(`Task ${fields.name}[${fields.id}] received`);
    if (fields.eta && fields.eta.getTime() > Date.now()) {
      this.hold(request);
      return;
    }
    await this.runOrRevoke(request);
  }

  private async runOrRevoke(request: Request): Promise<void> {
    const { fields, message } = request;
    if (fields.expires && fields.expires.getTime() <= Date.now()) {
      this.log.info(`Discarding revoked task: ${fields.name}[${fields.id}] (expired)`);
      if (this.backend && !fields.ignoreResult) {
        await this.backend.markAsRevoked(fields.id, 'expired', null).catch((e: unknown) => this.log.error(`could not store REVOKED for ${fields.id}: ${errText(e)}`));
      }
      await message.ack().catch(() => undefined);
      return;
    }
    this.pool.apply({ run: () => request.execute(), requeue: () => message.reject(true) });
  }

  private hold(request: Request): void {
    const delay = Math.max(0, request.fields.eta!.getTime() - Date.now());
    this.hooks.adjustPrefetch(+1);
    const timer = setTimeout(() => {
      this.scheduled.delete(request.id);
      this.hooks.adjustPrefetch(-1);
      void this.runOrRevoke(request);
    }, Math.min(delay, 2 ** 31 - 1));
    this.scheduled.set(request.id, { timer, message: request.message, fields: request.fields });
  }

  /** Cancels held ETA tasks and returns their messages to the broker (warm shutdown). */
  async releaseScheduled(): Promise<number> {
    const held = [...this.scheduled.values()];
    this.scheduled.clear();
    for (const h of held) {
      clearTimeout(h.timer);
      await h.message.reject(true).catch(() => undefined);
    }
    return held.length;
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
