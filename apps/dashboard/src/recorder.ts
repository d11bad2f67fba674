/**
 * The events recorder: receives the cluster's events (an {@link EventCapture} on the app's broker,
 * which reconnects after an outage), applies each to an in-memory `State` that is only a cache, and
 * writes every task event, every worker event but heartbeats, and the changed task and worker rows
 * to the {@link EventStore}.
 *
 * ```ts
 * const recorder = new EventRecorder({ app, store, metrics });
 * recorder.onFlush(({ tasks, workers }) => ...);   // after each write: the uuids and host names changed
 * await recorder.start();
 * ...
 * await recorder.flush();                          // everything received so far is in the store
 * await recorder.close();                          // writes what is pending
 * ```
 *
 * - Memory stays flat: the state keeps at most `maxTasksInMemory` tasks and `maxWorkersInMemory`
 *   workers, least recently updated dropped first. An event for a task no longer cached first loads
 *   the task from the store, so its state follows Celery's rules across restarts and evictions
 *   (a late `task-received` after `task-succeeded` only fills in name and args).
 * - Events are applied in arrival order, in chunks of up to 1000: the tasks and workers a chunk
 *   needs from the store are loaded in one query (after the writes before it finished), then the
 *   chunk is applied. Writes are batched: what `flushInterval` ms gathered (or 1000 events/tasks)
 *   goes in one transaction, between chunks. Readers call {@link flush} first, so an answer never
 *   misses an event already received.
 * - Workers must send events: task events need `-E` (`worker_send_task_events`), `task-sent` needs
 *   `task_send_sent_event` on the clients; the dashboard's `enableEvents` broadcast turns task events on.
 */
import { State, TaskState, WorkerState, type Celery, type CeleryEvent } from '@cq/celery';
import type { ConnectionRetrySettings } from './connection-retry.js';
import { EventCapture, type CaptureChange } from './event-capture.js';
import type { DashboardMetrics } from './metrics.js';
import type { EventStore, TaskRow, WorkerRow } from './store/event-store.js';

export interface RecorderOptions {
  app: Celery;
  store: EventStore;
  /** Counts events into Flower's metrics when given. */
  metrics?: DashboardMetrics;
  /** Default 1000. */
  maxTasksInMemory?: number;
  /** Default 5000. */
  maxWorkersInMemory?: number;
  /** Milliseconds events wait before a write. Default 50. */
  flushInterval?: number;
  /** A worker sent `worker-online`, or was heard from for the first time since start (Flower then inspects it). */
  onWorkerJoin?: (hostname: string) => void;
  /**
   * A write or a read of the store failed (disk full, database down, ...). Default: a process
   * warning, at most one per 10 s. A batch that failed to write is dropped.
   */
  onError?: (error: unknown) => void;
  /** The broker was lost, reached again, or given up on (see {@link EventCapture}). */
  onBrokerChange?: (change: CaptureChange) => void;
  /** Seconds between probes of the broker connection. Default 2. */
  probeInterval?: number;
}

/** What one write changed. */
export interface FlushChange {
  tasks: string[];
  workers: string[];
}

/** Columns of a task row copied back onto a TaskState. */
const ROW_FIELDS = [
  'name', 'state', 'client', 'timestamp', 'clock', 'sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked',
  'rejected', 'args', 'kwargs', 'eta', 'expires', 'retries', 'result', 'exception', 'traceback', 'runtime', 'exchange',
  'routing_key', 'root_id', 'parent_id',
] as const;

/** Events applied between two looks at the store; also the pending size that triggers a write. */
const CHUNK = 1000;

export class EventRecorder {
  /** The bounded cache of tasks and workers. */
  readonly state: State;
  private capture: EventCapture | null = null;
  /** Received, not applied yet. */
  private incoming: CeleryEvent[] = [];
  private draining: Promise<void> | null = null;
  /** Applied, not written yet. */
  private events: CeleryEvent[] = [];
  private tasks = new Map<string, TaskState>();
  private workers = new Map<string, { worker: WorkerState; online: boolean }>();
  /** The last write (each write starts after the one before). */
  private writing: Promise<void> = Promise.resolve();
  /** Rows loaded for the chunk being applied. */
  private loadedTasks = new Map<string, TaskRow>();
  private loadedWorkers = new Map<string, WorkerRow>();
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(change: FlushChange) => void>();
  /** Workers heard from since this recorder was made (each one's first event counts as a join). */
  private readonly heard = new Set<string>();
  private lastWarning = 0;

  constructor(private readonly options: RecorderOptions) {
    this.state = new State({
      maxTasksInMemory: options.maxTasksInMemory ?? 1000,
      maxWorkersInMemory: options.maxWorkersInMemory ?? 5000,
    });
  }

  /**
   * Starts receiving events. When the broker is down, see {@link EventCapture.start}: by default it
   * resolves and keeps trying; with `broker_connection_retry_on_startup` false it rejects with the
   * kombu TransportError.
   */
  async start(): Promise<this> {
    this.capture = new EventCapture({
      app: this.options.app, handler: (event) => this.record(event), onChange: this.options.onBrokerChange,
      ...(this.options.probeInterval === undefined ? {} : { probeInterval: this.options.probeInterval }),
    });
    await this.capture.start();
    return this;
  }

  /** The capture's retry settings (from `app.conf`), once started. */
  get retrySettings(): ConnectionRetrySettings | null {
    return this.capture?.settings ?? null;
  }

  /** True while events are being received (false before start, during an outage, after close). */
  get receiving(): boolean {
    return this.capture?.connected ?? false;
  }

  /** Calls `listener` after each write with the task uuids and worker names it changed; returns an unsubscribe function. */
  onFlush(listener: (change: FlushChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records one event as a receiver hands it over (with `local_received`); it is applied shortly, in order. */
  record(event: CeleryEvent): void {
    this.incoming.push(event);
    this.draining ??= this.drain();
  }

  /** Applies what was received, then writes what is pending in one transaction and tells the listeners. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    await this.write();
  }

  /** Stops receiving and writes what is pending. Never throws. */
  async close(): Promise<void> {
    const capture = this.capture;
    this.capture = null;
    await capture?.close();
    await this.flush().catch(() => undefined);
    this.listeners.clear();
  }

  private async drain(): Promise<void> {
    try {
      while (this.incoming.length > 0) {
        const chunk = this.incoming.length <= CHUNK ? this.incoming : this.incoming.slice(0, CHUNK);
        this.incoming = chunk === this.incoming ? [] : this.incoming.slice(CHUNK);
        await this.loadMissing(chunk);
        for (const event of chunk) this.apply(event);
        this.loadedTasks.clear();
        this.loadedWorkers.clear();
        if (this.events.length + this.tasks.size >= CHUNK) await this.write();
        else if (!this.timer) {
          this.timer = setTimeout(() => void this.flush(), this.options.flushInterval ?? 50);
        }
      }
    } finally {
      // Synchronously after the loop saw nothing more: a record() from now on starts a new drain.
      this.draining = null;
    }
  }

  /** Loads the tasks and workers `chunk` is about that are neither cached nor pending. */
  private async loadMissing(chunk: readonly CeleryEvent[]): Promise<void> {
    const uuids = new Set<string>();
    const hosts = new Set<string>();
    for (const event of chunk) {
      const uuid = event['uuid'];
      if (event.type.startsWith('task-') && typeof uuid === 'string' && !this.state.tasks.has(uuid) && !this.tasks.has(uuid)) uuids.add(uuid);
      const host = typeof event.hostname === 'string' ? event.hostname : '';
      if (host && event.type !== 'task-sent' && !this.state.workers.has(host) && !this.workers.has(host)) hosts.add(host);
    }
    if (uuids.size + hosts.size === 0) return;
    await this.writing; // reads see every earlier write
    try {
      if (uuids.size) this.loadedTasks = await this.options.store.tasksById([...uuids]);
      for (const host of hosts) {
        const row = await this.options.store.worker(host);
        if (row) this.loadedWorkers.set(host, row);
      }
    } catch (err) {
      this.report(err, `reading the store failed; ${chunk.length} events applied without their stored tasks`);
    }
  }

  /** Applies one event to the cache (Celery's rules) and queues what it changed for the next write. */
  private apply(event: CeleryEvent): void {
    const uuid = event['uuid'];
    const hostname = typeof event.hostname === 'string' ? event.hostname : '';
    if (event.type.startsWith('task-') && typeof uuid === 'string' && !this.state.tasks.has(uuid)) this.load(uuid);
    if (hostname && event.type !== 'task-sent' && !this.state.workers.has(hostname)) this.loadWorker(hostname);
    const update = this.state.event(event);
    if (event.type !== 'worker-heartbeat') this.events.push(event);
    if (update.task) {
      this.tasks.set(update.task.uuid, update.task);
      const worker = update.task.worker;
      if (worker && worker.hostname && update.subject !== 'sent') this.workers.set(worker.hostname, { worker, online: true });
      this.options.metrics?.observeTask(hostname, event, update.task);
    }
    if (update.worker) {
      this.workers.set(update.worker.hostname, { worker: update.worker, online: update.subject !== 'offline' });
      this.options.metrics?.observeWorker(hostname, event);
    }
    if (hostname && event.type !== 'task-sent' && (event.type === 'worker-online' || !this.heard.has(hostname))) {
      if (this.heard.size >= (this.options.maxWorkersInMemory ?? 5000)) this.heard.clear();
      this.heard.add(hostname);
      if (event.type !== 'worker-offline') this.options.onWorkerJoin?.(hostname);
    }
  }

  /** Starts writing what is pending (after the write before it); resolves when that write is done. */
  private write(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.events.length === 0 && this.tasks.size === 0 && this.workers.size === 0) return this.writing;
    const batch = { events: this.events, tasks: [...this.tasks.values()], workers: [...this.workers.values()] };
    this.events = [];
    this.tasks = new Map();
    this.workers = new Map();
    this.writing = this.writing.then(async () => {
      try {
        await this.options.store.write(batch);
      } catch (err) {
        this.report(err, `writing ${batch.events.length} events failed`);
        return;
      }
      const change: FlushChange = { tasks: batch.tasks.map((t) => t.uuid), workers: batch.workers.map((w) => w.worker.hostname) };
      for (const listener of this.listeners) listener(change);
    });
    return this.writing;
  }

  private report(err: unknown, what: string): void {
    if (this.options.onError) return this.options.onError(err);
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    process.emitWarning(`dashboard: ${what}: ${String(err)}`, { code: 'CQ_DASHBOARD_STORE' });
  }

  /** Puts a task that is not cached back into the cache: the pending one, else the one loaded from the store. */
  private load(uuid: string): void {
    const task = this.tasks.get(uuid) ?? this.fromRow(this.loadedTasks.get(uuid));
    if (task) this.state.tasks.set(uuid, task);
  }

  /** Puts a stored worker back into the cache, so an event about it adds to what is known. */
  private loadWorker(hostname: string): void {
    const pending = this.workers.get(hostname)?.worker;
    const row = this.loadedWorkers.get(hostname);
    if (!pending && !row) return;
    const workers = this.state.workers;
    if (pending) workers.set(hostname, pending);
    else if (row) workers.set(hostname, this.workerFromRow(row));
    while (workers.size > (this.options.maxWorkersInMemory ?? 5000)) workers.delete(workers.keys().next().value as string);
  }

  private workerFromRow(row: WorkerRow): WorkerState {
    const worker = new WorkerState(row.hostname);
    const fields = worker as unknown as Record<string, unknown>;
    for (const field of ['pid', 'freq', 'clock', 'active', 'processed', 'loadavg', 'sw_ident', 'sw_ver', 'sw_sys'] as const) {
      if (row[field] !== null) fields[field] = row[field];
    }
    worker.heartbeats.push(...row.heartbeats);
    return worker;
  }

  private fromRow(row: TaskRow | undefined): TaskState | undefined {
    if (!row) return undefined;
    const task = new TaskState(row.uuid);
    const fields = task as unknown as Record<string, unknown>;
    for (const field of ROW_FIELDS) fields[field] = row[field];
    if (row.extra) Object.assign(task.extra, JSON.parse(row.extra) as Record<string, unknown>);
    if (row.worker) task.worker = this.state.workers.get(row.worker) ?? new WorkerState(row.worker);
    return task;
  }
}
