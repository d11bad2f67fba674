/**
 * What a worker gives the control commands (Celery passes `state` = the pidbox node's `state`:
 * `app`, `hostname`, `consumer`). The @cq/worker Control step implements it; any other process that
 * wants to answer remote control (a custom consumer, a test double) can too.
 */
import type { Celery } from '@cq/app';
import type { LamportClock } from '@cq/kombu';
import type { RevokedSet } from './revoked.js';

/** A request the worker knows about, with its `Request.info()` dict (see the protocol doc §9.4). */
export interface RequestInfo {
  id: string;
  /** `active` (running), `reserved` (received, waiting) or `ready` (done). */
  state: 'active' | 'reserved' | 'ready';
  info: Record<string, unknown>;
}

export interface ControlState {
  readonly app: Celery;
  /** The node name `name@host`. */
  readonly hostname: string;
  /** The app's clock (`app.clock`): adjusted by each request, forwarded by each reply, `inspect clock`. */
  readonly clock: LamportClock;
  /** Revoked ids (Celery `worker_state.revoked`). */
  readonly revoked: RevokedSet;
  /** `inspect stats` (Celery `WorkController.stats()`). */
  stats(): Record<string, unknown>;
  /** Running requests' infos; `safe` turns args/kwargs into repr strings. */
  active(safe: boolean): Array<Record<string, unknown>>;
  /** Received but not running (not counting ETA-held ones). */
  reserved(): Array<Record<string, unknown>>;
  /** ETA-held requests: `{eta: iso, priority, request: info}`. */
  scheduled(): Array<Record<string, unknown>>;
  /** Requests by id (active, reserved or ETA-held). */
  findRequests(ids: readonly string[]): RequestInfo[];
  /**
   * Terminates a running request (revoke with `terminate`): stores REVOKED `terminated`, acks and
   * stops waiting for it. Resolves with false when the id is not running here.
   */
  terminate(id: string, signal: string): Promise<boolean>;
  /**
   * Drops the requests with these ids that wait in a process pool's child and would run before the
   * revoked set is checked again (revoke without `terminate`); stores REVOKED for each. A worker
   * whose pool keeps no jobs in children resolves at once.
   */
  discard(ids: readonly string[]): Promise<void>;
  /** Applies a changed `rateLimit` of a task type to the waiting and future requests (`consumer.reset_rate_limits`). */
  resetRateLimit(taskName: string): void;
  /** Starts consuming one more queue. */
  addConsumer(queue: string, options: { exchange?: string; exchangeType?: string; routingKey?: string; [key: string]: unknown }): Promise<void>;
  /** Stops consuming a queue. */
  cancelConsumer(queue: string): Promise<void>;
  /** The consumed queues as kombu `Queue.as_dict(recurse=True)`. */
  activeQueues(): Array<Record<string, unknown>>;
  /** Adds `n` children (`pool_grow`); throws an Error with Celery's message when the pool cannot grow. */
  poolGrow(n: number): void;
  /** Removes `n` children (`pool_shrink`); throws an Error with Celery's message when the pool cannot shrink. */
  poolShrink(n: number): void;
  /** Changes the autoscale bounds, a null one kept; returns `[max, min]`. Throws `Autoscale not enabled` without autoscaling. */
  autoscale(max: number | null, min: number | null): [number, number];
  /** Task events on/off; resolves with false when already in that state. Throws when the worker has no events. */
  setTaskEvents(enabled: boolean): boolean;
  /** Sends one `worker-heartbeat` now (no-op without events). */
  heartbeat(): void;
  /** Starts a warm shutdown (after the command returns). */
  shutdown(msg: string): void;
}
