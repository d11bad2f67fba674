/**
 * The events recorder: receives the cluster's events (an @cq/events `EventReceiver` on the app's
 * broker), applies each to an in-memory `State` that is only a cache, and writes every task event,
 * every worker event but heartbeats, and the changed task and worker rows to the {@link EventStore}.
 *
 * ```ts
 * const recorder = new EventRecorder({ app, store, metrics });
 * recorder.onFlush(({ tasks, workers }) => ...);   // after each write: the uuids and host names changed
 * await recorder.start();
 * ...
 * await recorder.close();                          // writes what is pending
 * ```
 *
 * - Memory stays flat: the state keeps at most `maxTasksInMemory` tasks and `maxWorkersInMemory`
 *   workers, least recently updated dropped first. An event for a task no longer cached first loads
 *   the task from the store, so its state follows Celery's rules across restarts and evictions
 *   (a late `task-received` after `task-succeeded` only fills in name and args).
 * - Writes are batched: events gathered for `flushInterval` ms go in one transaction. Readers call
 *   {@link flush} first, so an answer never misses an event already received.
 * - Workers must send events: task events need `-E` (`worker_send_task_events`), `task-sent` needs
 *   `task_send_sent_event` on the clients; the dashboard's `enableEvents` broadcast turns task events on.
 */
import { EventReceiver, State, TaskState, WorkerState, type Celery, type CeleryEvent } from '@cq/celery';
import type { DashboardMetrics } from './metrics.js';
import type { EventStore, TaskRow } from './store/event-store.js';

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
  /** A write failed (disk full, ...). Default: a process warning. The batch is dropped. */
  onError?: (error: unknown) => void;
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

export class EventRecorder {
  /** The bounded cache of tasks and workers. */
  readonly state: State;
  private receiver: EventReceiver | null = null;
  private events: CeleryEvent[] = [];
  private tasks = new Map<string, TaskState>();
  private workers = new Map<string, { worker: WorkerState; online: boolean }>();
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(change: FlushChange) => void>();
  /** Workers heard from since this recorder was made (each one's first event counts as a join). */
  private readonly heard = new Set<string>();

  constructor(private readonly options: RecorderOptions) {
    this.state = new State({
      maxTasksInMemory: options.maxTasksInMemory ?? 1000,
      maxWorkersInMemory: options.maxWorkersInMemory ?? 5000,
    });
  }

  /** Starts receiving events. Throws a kombu TransportError when the broker cannot be reached. */
  async start(): Promise<this> {
    this.receiver = new EventReceiver({ app: this.options.app, handlers: { '*': (event) => this.record(event) } });
    await this.receiver.start();
    return this;
  }

  /** Calls `listener` after each write with the task uuids and worker names it changed; returns an unsubscribe function. */
  onFlush(listener: (change: FlushChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records one event as a receiver hands it over (with `local_received`). */
  record(event: CeleryEvent): void {
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
    if (this.events.length + this.tasks.size >= 1000) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushInterval ?? 50);
  }

  /** Writes what is pending in one transaction, then tells the listeners. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.events.length === 0 && this.tasks.size === 0 && this.workers.size === 0) return;
    const batch = { events: this.events, tasks: [...this.tasks.values()], workers: [...this.workers.values()] };
    this.events = [];
    this.tasks = new Map();
    this.workers = new Map();
    try {
      this.options.store.write(batch);
    } catch (err) {
      if (this.options.onError) this.options.onError(err);
      else process.emitWarning(`dashboard: writing ${batch.events.length} events failed: ${String(err)}`, { code: 'CQ_DASHBOARD_STORE' });
      return;
    }
    const change: FlushChange = { tasks: batch.tasks.map((t) => t.uuid), workers: batch.workers.map((w) => w.worker.hostname) };
    for (const listener of this.listeners) listener(change);
  }

  /** Stops receiving and writes what is pending. Never throws. */
  async close(): Promise<void> {
    const receiver = this.receiver;
    this.receiver = null;
    await receiver?.close().catch(() => undefined);
    this.flush();
    this.listeners.clear();
  }

  /** Puts a task that is not cached back into the cache: the pending one, else the stored one. */
  private load(uuid: string): void {
    const task = this.tasks.get(uuid) ?? this.fromRow(this.options.store.task(uuid));
    if (task) this.state.tasks.set(uuid, task);
  }

  /** Puts a stored worker back into the cache, so an event about it adds to what is known. */
  private loadWorker(hostname: string): void {
    const row = this.options.store.worker(hostname);
    if (!row) return;
    const worker = new WorkerState(hostname);
    const fields = worker as unknown as Record<string, unknown>;
    for (const field of ['pid', 'freq', 'clock', 'active', 'processed', 'loadavg', 'sw_ident', 'sw_ver', 'sw_sys'] as const) {
      if (row[field] !== null) fields[field] = row[field];
    }
    worker.heartbeats.push(...row.heartbeats);
    const workers = this.state.workers;
    workers.set(hostname, worker);
    while (workers.size > (this.options.maxWorkersInMemory ?? 5000)) workers.delete(workers.keys().next().value as string);
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
