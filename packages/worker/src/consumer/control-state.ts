/**
 * The worker as remote control sees it (Celery's pidbox `state`: `app`, `hostname`, `consumer`, and
 * `worker.state`'s revoked set): the @cq/control {@link ControlState} of one {@link Consumer}, held
 * as `c.control` and built by the Control step. The commands read the consumer's live parts through
 * it (requests, queues, pool, events) and change them (revoke, rate limits, queues, pool size).
 *
 * Clock: `app.clock`, the app's one Lamport clock, which events and mingle move too.
 * Pool changes go through the pool's capabilities (`pool-capabilities.ts`); a missing one is a
 * {@link PoolCapabilityError} with Celery's Python exception name.
 */
import { performance } from 'node:perf_hooks';
import { Exchange, Queue, type LamportClock } from '@cq/kombu';
import type { Celery } from '@cq/app';
import { RevokedSet, type ControlState, type Node, type RequestInfo } from '@cq/control';
import { PoolCapabilityError } from '../errors.js';
import { canAutoscale, canResize, listsProcesses } from '../pool-capabilities.js';
import type { Request } from '../request.js';
import { workerSettings } from '../settings.js';
import { brokerInfo, queueInfo, requestInfo, rusage } from './control-info.js';
import type { Consumer } from './consumer.js';

export class WorkerControlState implements ControlState {
  /** Revoked task ids (Celery `worker_state.revoked`); the task strategy checks it, `--statedb` keeps it. */
  readonly revoked = new RevokedSet();
  /** The pidbox node answering for this worker while the Control step runs. */
  node: Node | null = null;
  /** Tasks begun since start, by name (`inspect stats` `total`). */
  private readonly totals = new Map<string, number>();
  private startedAt = performance.now();

  constructor(private readonly c: Consumer) {}

  get app(): Celery {
    return this.c.app;
  }

  get hostname(): string {
    return this.c.worker.hostname;
  }

  /** The app's clock (`app.clock`). */
  get clock(): LamportClock {
    return this.c.app.clock;
  }

  /** Restarts `uptime` and the task totals (the Control step starting). */
  reset(): void {
    this.startedAt = performance.now();
    this.totals.clear();
  }

  /** Counts one task of `name` begun (Celery's `state.total_count`). */
  countStarted(name: string): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + 1);
  }

  /** Celery `WorkController.stats()`: totals, pid, clock, uptime (s), pool, broker, prefetch count, rusage. */
  stats(): Record<string, unknown> {
    const { c } = this;
    const w = c.worker;
    const pool = w.pool;
    return {
      total: Object.fromEntries(this.totals),
      pid: process.pid,
      clock: String(this.clock.value),
      uptime: Math.round((performance.now() - this.startedAt) / 1000),
      pool: {
        implementation: pool.name, 'max-concurrency': pool.limit, processes: listsProcesses(pool) ? pool.pids : [process.pid],
        'max-tasks-per-child': w.options.maxTasksPerChild ?? null, 'put-guarded-by-semaphore': false,
        timeouts: [w.options.softTimeLimit ?? 0, w.options.timeLimit ?? 0], writes: {},
      },
      broker: brokerInfo(c),
      prefetch_count: c.qos?.value ?? w.prefetchCount,
      rusage: rusage(),
    };
  }

  active(safe: boolean): Array<Record<string, unknown>> {
    return this.activeRequests().map((r) => requestInfo(r, this.hostname, safe));
  }

  reserved(): Array<Record<string, unknown>> {
    return this.reservedRequests().map((r) => requestInfo(r, this.hostname));
  }

  scheduled(): Array<Record<string, unknown>> {
    return [...(this.c.strategy?.scheduled.values() ?? [])].map((h) => ({
      eta: new Date(h.eta).toISOString().replace('Z', '+00:00'), priority: 6, request: requestInfo(h.item, this.hostname),
    }));
  }

  findRequests(ids: readonly string[]): RequestInfo[] {
    const wanted = new Set(ids);
    const out: RequestInfo[] = [];
    for (const r of this.activeRequests()) if (wanted.has(r.id)) out.push({ id: r.id, state: 'active', info: requestInfo(r, this.hostname) });
    for (const r of [...this.reservedRequests(), ...this.scheduledRequests()]) {
      if (wanted.has(r.id)) out.push({ id: r.id, state: 'reserved', info: requestInfo(r, this.hostname) });
    }
    return out;
  }

  async discard(ids: readonly string[]): Promise<void> {
    const wanted = new Set(ids);
    for (const r of this.reservedRequests()) if (wanted.has(r.id)) await r.discardRevoked();
  }

  async terminate(id: string, signal: string): Promise<boolean> {
    const request = this.activeRequests().find((r) => r.id === id);
    if (!request) return false;
    await request.revokeTerminate(signal);
    return true;
  }

  resetRateLimit(taskName: string): void {
    const { app, strategy } = this.c;
    const rate = app.tasks.get(taskName)?.options.rateLimit ?? null;
    strategy?.rateLimiter.setRate(taskName, workerSettings(app.conf).worker_disable_rate_limits ? null : rate);
  }

  /** @throws Error when the worker is not consuming (the Tasks step is not running). */
  async addConsumer(name: string, o: { exchange?: string; exchangeType?: string; routingKey?: string }): Promise<void> {
    const { c } = this;
    const queue = o.exchange
      ? new Queue(name, { exchange: new Exchange(o.exchange, { type: (o.exchangeType ?? 'direct') as 'direct' }), routingKey: o.routingKey ?? name })
      : c.app.queue(name);
    if (!c.taskConsumer) throw new Error('the worker is not consuming');
    if (c.taskConsumer.consuming.includes(name)) return;
    await c.taskConsumer.addQueue(queue);
    c.worker.log.info(`Started consuming from ${name}`);
  }

  async cancelConsumer(name: string): Promise<void> {
    const consumer = this.c.taskConsumer;
    if (!consumer) return;
    await consumer.cancelByQueue(name);
    const i = consumer.queues.findIndex((q) => q.name === name);
    if (i >= 0) consumer.queues.splice(i, 1);
  }

  activeQueues(): Array<Record<string, unknown>> {
    const consumer = this.c.taskConsumer;
    return (consumer?.queues ?? []).filter((q) => consumer!.consuming.includes(q.name)).map(queueInfo);
  }

  /** @throws PoolCapabilityError with autoscaling or when the pool cannot grow. */
  poolGrow(n: number): void {
    const pool = this.c.worker.pool;
    if (this.c.worker.options.autoscale) throw new PoolCapabilityError('pool_grow is not supported with autoscale. Adjust autoscale range instead.', 'ValueError');
    if (!canResize(pool)) throw new PoolCapabilityError(`the ${pool.name} pool cannot grow`);
    pool.grow(n);
    this.followPool(n);
  }

  /** @throws PoolCapabilityError with autoscaling or when the pool cannot shrink. */
  poolShrink(n: number): void {
    const pool = this.c.worker.pool;
    if (this.c.worker.options.autoscale) throw new PoolCapabilityError('pool_shrink is not supported with autoscale. Adjust autoscale range instead.', 'ValueError');
    if (!canResize(pool)) throw new PoolCapabilityError(`the ${pool.name} pool cannot shrink`);
    pool.shrink(n);
    this.followPool(-n);
  }

  /** @throws PoolCapabilityError (`ValueError('Autoscale not enabled')`, as Celery) unless the pool autoscales. */
  autoscale(max: number | null, min: number | null): [number, number] {
    const pool = this.c.worker.pool;
    if (!this.c.worker.options.autoscale || !canAutoscale(pool)) throw new PoolCapabilityError('Autoscale not enabled', 'ValueError');
    return pool.autoscale(max, min);
  }

  /** Celery toggles the `task` group of the dispatcher (an empty group set sends every group). */
  setTaskEvents(enabled: boolean): boolean {
    const groups = this.c.eventDispatcher?.groups;
    if (!groups) throw new Error('events are not enabled in this worker');
    const on = groups.size === 0 || groups.has('task');
    if (on === enabled) return false;
    if (enabled) groups.add('task');
    else if (groups.size === 0) groups.add('worker');
    else groups.delete('task');
    this.c.taskEventsChanged?.();
    return true;
  }

  heartbeat(): void {
    const w = this.c.worker;
    this.c.heart?.send('worker-heartbeat', 5).catch((err: unknown) => w.log.error(`could not send a heartbeat: ${String(err)}`));
  }

  shutdown(): void {
    const w = this.c.worker;
    setImmediate(() => void w.shutdown('warm'));
  }

  private activeRequests(): Request[] {
    return [...this.c.worker.activeRequests];
  }

  private reservedRequests(): Request[] {
    const w = this.c.worker;
    return [...w.reservedRequests].filter((r) => !w.activeRequests.has(r));
  }

  private scheduledRequests(): Request[] {
    return [...(this.c.strategy?.scheduled.values() ?? [])].map((h) => h.item);
  }

  /** Celery `_update_prefetch_count`: the prefetch count follows pool_grow/pool_shrink. */
  private followPool(delta: number): void {
    const { c } = this;
    const w = c.worker;
    void c.qos?.updatePrefetchCount(delta, w.options.prefetchMultiplier ?? workerSettings(c.app.conf).worker_prefetch_multiplier)
      .catch((err: unknown) => w.log.error(`could not change the prefetch count: ${String(err)}`));
  }
}
