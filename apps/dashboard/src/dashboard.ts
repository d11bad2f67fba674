/**
 * The dashboard: puts together, for one app (its broker and result backend), the event store, the
 * recorder, remote control, the worker inspector, the metrics and the HTTP server.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * import { Dashboard } from '@cq/dashboard';
 *
 * const app = new Celery('monitor', { broker_url: 'redis://localhost:6379/0', result_backend: 'redis://localhost:6379/0' });
 * const dashboard = await Dashboard.start(app, { port: 5555, db: '.cq/dashboard.db', basicAuth: ['admin:s3cret'] });
 * console.log(dashboard.url);   // http://127.0.0.1:5555
 * // later
 * await dashboard.close();      // the app stays open: close it yourself
 * ```
 *
 * The history goes to SQLite (`db` a file path, the default) or PostgreSQL (`db` a `postgresql://`
 * URL); see `store/event-store.ts`. A broker outage is logged once when it begins and once when the
 * event capture is back (`app.log`, error and warning levels), with Celery's retry settings
 * (`broker_connection_retry`, `broker_connection_max_retries`; see `connection-retry.ts`).
 *
 * While running it records every event (see {@link EventRecorder}), inspects each worker when it
 * comes online or is first heard from (within a heartbeat of the start for running workers), broadcasts `enable_events` every 5 s (`enableEvents`), and prunes the store every
 * `pruneInterval` seconds (`maxTasks`, `maxAge`).
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Control, type Celery } from '@cq/celery';
import type { DashboardContext } from './context.js';
import { WorkerInspector } from './inspector.js';
import { DashboardMetrics } from './metrics.js';
import { resolveOptions, type DashboardOptions } from './options.js';
import { QueueLengths } from './queues.js';
import type { CaptureChange } from './event-capture.js';
import { EventRecorder } from './recorder.js';
import { buildServer } from './server.js';
import type { EventStore, PruneResult } from './store/event-store.js';
import { openEventStore } from './store/open.js';

/** This package's version (the API description states it). */
export const DASHBOARD_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Seconds between `enable_events` broadcasts (Flower `events_enable_interval`, 5000 ms). */
const ENABLE_EVENTS_INTERVAL = 5;

export class Dashboard implements DashboardContext {
  readonly options: DashboardOptions;
  readonly store: EventStore;
  readonly recorder: EventRecorder;
  readonly control: Control;
  readonly inspector: WorkerInspector;
  readonly queues: QueueLengths;
  readonly metrics: DashboardMetrics;
  private server: FastifyInstance | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  /**
   * Opens a SQLite store (a PostgreSQL one connects in {@link start}); nothing runs until then.
   * @throws DashboardOptionError, EventStoreError.
   */
  constructor(readonly app: Celery, options: Partial<DashboardOptions> = {}) {
    this.options = resolveOptions(options);
    this.store = openEventStore(this.options.db);
    this.queues = new QueueLengths(app, this.store);
    this.metrics = new DashboardMetrics(() => this.queues.lengths());
    this.control = new Control(app);
    this.inspector = new WorkerInspector(new Control(app), this.store, this.options.inspectTimeout);
    this.recorder = new EventRecorder({
      app, store: this.store, metrics: this.metrics, maxTasksInMemory: this.options.maxTasksInMemory,
      maxWorkersInMemory: this.options.maxWorkersInMemory, flushInterval: this.options.flushInterval,
      onWorkerJoin: (name) => {
        if (!this.closed) this.inspector.enqueue(name);
      },
      onBrokerChange: (change) => this.logBrokerChange(change),
    });
  }

  /** Builds a dashboard and starts it. */
  static async start(app: Celery, options: Partial<DashboardOptions> = {}): Promise<Dashboard> {
    const dashboard = new Dashboard(app, options);
    try {
      return await dashboard.start();
    } catch (err) {
      await dashboard.close();
      throw err;
    }
  }

  /**
   * Connects the store, starts recording, listening (`address`:`port`) and the periodic work.
   * Resolves once the server listens. A broker down at start is retried in the background (Celery's
   * `broker_connection_retry_on_startup`, default on), the history being served meanwhile.
   * @throws EventStoreError when the store cannot be opened; a kombu TransportError when the broker
   *   is unreachable and retry on startup is off; the server's error (EADDRINUSE, ...) when it
   *   cannot listen.
   */
  async start(): Promise<this> {
    await this.store.open();
    await this.prune();
    await this.recorder.start();
    this.server = await buildServer(this, DASHBOARD_VERSION);
    await this.server.listen({ port: this.options.port, host: this.options.address });
    this.every(this.options.pruneInterval, () => void this.prune().catch((err: unknown) => {
      process.emitWarning(`dashboard: retention on ${this.store.location} failed: ${String(err)}`, { code: 'CQ_DASHBOARD_STORE' });
    }));
    if (this.options.enableEvents) {
      const enable = (): void => void this.control.enableEvents().catch(() => undefined);
      enable();
      this.every(ENABLE_EVENTS_INTERVAL, enable);
    }
    return this;
  }

  /** The port the server listens on (the one chosen when `port` was 0). */
  get port(): number {
    return (this.server?.server.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  /** `http://<address>:<port>`. */
  get url(): string {
    const host = this.options.address.includes(':') ? `[${this.options.address}]` : this.options.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.port}`;
  }

  /** Applies retention now (`maxTasks`, `maxAge`); returns how many tasks, events and workers went. */
  async prune(): Promise<PruneResult> {
    await this.recorder.flush();
    return this.store.prune({ maxTasks: this.options.maxTasks, maxAge: this.options.maxAge });
  }

  /** Stops serving and recording, writes what is pending and closes the store. The app stays open. Never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.server?.close().catch(() => undefined);
    await this.recorder.close();
    await this.inspector.close();
    await this.control.close().catch(() => undefined);
    await this.queues.close();
    await this.store.close();
  }

  /** Logs a broker outage once when it begins and once when it ends (or is given up). */
  private logBrokerChange(change: CaptureChange): void {
    const log = this.app.log;
    if (change.state === 'lost') {
      const retry = this.recorder.retrySettings;
      log.error(`dashboard: lost the broker ${change.broker} (${String((change.error as Error)?.message ?? change.error)}); `
        + (retry?.broker_connection_retry === false ? 'not reconnecting (broker_connection_retry is off)' : 'reconnecting; events sent meanwhile are not recorded'));
    } else if (change.state === 'restored') {
      log.warn(`dashboard: reconnected to the broker ${change.broker} after ${change.downtime.toFixed(1)} s (${change.attempts} attempt${change.attempts === 1 ? '' : 's'}); recording again`);
    } else {
      log.error(`dashboard: gave up on the broker ${change.broker} after ${change.attempts} attempts (broker_connection_max_retries); no more events are recorded`);
    }
  }

  private every(seconds: number, fn: () => void): void {
    if (seconds <= 0) return;
    const timer = setInterval(fn, seconds * 1000);
    timer.unref();
    this.timers.push(timer);
  }
}
