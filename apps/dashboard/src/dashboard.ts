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
import { EventRecorder } from './recorder.js';
import { buildServer } from './server.js';
import { EventStore } from './store/event-store.js';

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

  /** Opens the store; nothing runs until {@link start}. @throws DashboardOptionError, EventStoreError. */
  constructor(readonly app: Celery, options: Partial<DashboardOptions> = {}) {
    this.options = resolveOptions(options);
    this.store = new EventStore(this.options.db);
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
   * Starts recording, listening (`address`:`port`) and the periodic work. Resolves once the server
   * listens. @throws a kombu TransportError when the broker is unreachable; the server's error
   * (EADDRINUSE, ...) when it cannot listen.
   */
  async start(): Promise<this> {
    this.prune();
    await this.recorder.start();
    this.server = await buildServer(this, DASHBOARD_VERSION);
    await this.server.listen({ port: this.options.port, host: this.options.address });
    this.every(this.options.pruneInterval, () => this.prune());
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
  prune(): { tasks: number; events: number; workers: number } {
    this.recorder.flush();
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
    this.store.close();
  }

  private every(seconds: number, fn: () => void): void {
    if (seconds <= 0) return;
    const timer = setInterval(fn, seconds * 1000);
    timer.unref();
    this.timers.push(timer);
  }
}
