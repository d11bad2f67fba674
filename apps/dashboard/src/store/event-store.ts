/**
 * The event store: the dashboard's history, so a restart loses nothing and the process keeps only
 * a bounded cache in memory. Two implementations answer the same queries over the same tables:
 *
 * | `db` | store | notes |
 * |---|---|---|
 * | a file path (default `.cq/dashboard.db`), `':memory:'` | {@link SqliteEventStore} (better-sqlite3, WAL) | embedded; FTS5 trigram index for search |
 * | `postgresql://…` / `postgres://…` | {@link PostgresEventStore} (pg) | tables in schema `cq_dashboard` (`?schema=` to change); pg_trgm index for search |
 *
 * ```ts
 * const store = await openEventStore('.cq/dashboard.db').open();
 * await store.write({ events, tasks, workers });             // one transaction per batch
 * await store.tasks({ state: 'FAILURE', limit: 20 });         // newest first, answered by an index
 * await store.prune({ maxTasks: 100_000, maxAge: 7 * 86400 }); // retention
 * await store.close();
 * ```
 *
 * Rows mirror Celery's `events.state` objects; timestamps are float Unix seconds. Every method is
 * asynchronous (PostgreSQL is); the SQLite store answers synchronously underneath. The shared
 * behaviour suite in `test/store-suite.ts` runs against both.
 */
import type { CeleryEvent, TaskState, WorkerState } from '@cq/celery';
import type { TaskFilter } from './task-query.js';

/** A `tasks` row: Celery's task state fields, `worker` as its host name, `extra` as JSON text. */
export interface TaskRow {
  uuid: string;
  name: string | null;
  state: string;
  worker: string | null;
  client: string | null;
  timestamp: number | null;
  clock: number;
  sent: number | null;
  received: number | null;
  started: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  rejected: number | null;
  args: string | null;
  kwargs: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  result: string | null;
  exception: string | null;
  traceback: string | null;
  runtime: number | null;
  exchange: string | null;
  routing_key: string | null;
  root_id: string | null;
  parent_id: string | null;
  extra: string | null;
  /** Local time (s) of the first event recorded. */
  recorded: number;
}

/** A `workers` row, decoded. */
export interface WorkerRow {
  hostname: string;
  pid: number | null;
  freq: number | null;
  clock: number | null;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  /** Local arrival times (s) of the last heartbeats, oldest first. */
  heartbeats: number[];
  /** False after a `worker-offline`. */
  online: boolean;
  /** Local time (s) of its last event. */
  last_seen: number;
  /** What inspecting it returned (`stats`, `active_queues`, `registered`, ..., `timestamp`), or null. */
  info: Record<string, unknown> | null;
}

/** One recorded event. */
export interface StoredEvent {
  id: number;
  uuid: string | null;
  type: string;
  hostname: string | null;
  timestamp: number | null;
  local_received: number;
  fields: CeleryEvent;
}

/** What one flush writes. */
export interface WriteBatch {
  /** Events to append (the recorder leaves heartbeats out). */
  events: readonly CeleryEvent[];
  /** Tasks whose state changed. */
  tasks: readonly TaskState[];
  /** Workers whose state changed, with whether they are online (false after `worker-offline`). */
  workers: readonly { worker: WorkerState; online: boolean }[];
}

/** Which events {@link EventStore.eventCounts} counts: arrival (`local_received`) in [since, until), of these types. */
export interface EventCountQuery {
  /** Unix seconds; bucket 0 starts here. */
  since: number;
  /** Unix seconds, exclusive. */
  until: number;
  /** Bucket width, seconds. */
  interval: number;
  types: readonly string[];
}

/** Retention limits: `maxTasks` tasks at most, nothing older than `maxAge` seconds (0: no age limit). */
export interface PruneOptions {
  maxTasks: number;
  maxAge: number;
  /** Unix seconds taken as now. Default the clock. */
  now?: number;
}

/** How many tasks, events and workers a retention pass dropped. */
export interface PruneResult {
  tasks: number;
  events: number;
  workers: number;
}

export interface EventStore {
  /** `sqlite` or `postgresql`. */
  readonly kind: 'sqlite' | 'postgresql';
  /** Where the history lives (a file path, or the URL with its password masked). */
  readonly location: string;

  /**
   * Connects and creates the tables when missing (SQLite does that in its constructor). Idempotent.
   * @throws EventStoreError when the store cannot be reached or holds a newer schema.
   */
  open(): Promise<this>;

  /** Writes a batch in one transaction. `now` (s) stamps new tasks' `recorded`. */
  write(batch: WriteBatch, now?: number): Promise<void>;

  /** The stored task, or undefined. */
  task(uuid: string): Promise<TaskRow | undefined>;

  /** The stored tasks among `uuids`, by uuid (one query; the recorder reloads evicted tasks with it). */
  tasksById(uuids: readonly string[]): Promise<Map<string, TaskRow>>;

  /** Tasks matching `filter`, in its order and page. @throws ApiError 400 for an unknown sort key. */
  tasks(filter?: TaskFilter): Promise<TaskRow[]>;

  /** How many tasks match `filter` (its page ignored). */
  countTasks(filter?: TaskFilter): Promise<number>;

  /** Ids of the children of each given task (tasks whose `parent_id` it is), oldest first. */
  children(uuids: readonly string[]): Promise<Map<string, string[]>>;

  /**
   * A task's events by their timestamp, then arrival (its timeline): a client's `task-sent` may
   * arrive after the worker's events about the task.
   */
  taskEvents(uuid: string): Promise<StoredEvent[]>;

  /** Task names seen, sorted by code point (Flower `/api/task/types`). */
  taskTypes(): Promise<string[]>;

  /**
   * Events counted per bucket of `interval` seconds from `since` (bucket 0, 1, ...) and type, by
   * arrival time (the `events` index on it answers). Buckets without events are left out.
   */
  eventCounts(query: EventCountQuery): Promise<{ bucket: number; type: string; n: number }[]>;

  /** How many stored tasks are in each state. */
  stateCounts(): Promise<Record<string, number>>;

  /** Every stored worker, by host name. */
  workers(): Promise<WorkerRow[]>;

  worker(hostname: string): Promise<WorkerRow | undefined>;

  /** Stores what inspecting a worker returned (a worker not seen yet gets a row). */
  setWorkerInfo(hostname: string, info: Record<string, unknown>, now?: number): Promise<void>;

  /**
   * Retention: drops tasks (with their events) whose last event is older than `maxAge` seconds,
   * then the tasks with the oldest last event past `maxTasks`, then older worker events and
   * workers silent for `maxAge`.
   */
  prune(options: PruneOptions): Promise<PruneResult>;

  /**
   * The query plan of the listing `filter` makes, as text (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL
   * `EXPLAIN` with sequential scans discouraged, and sorts too unless searching: the plan it picks
   * on a large table).
   * For tests and benchmarks.
   */
  explain(filter?: TaskFilter): Promise<string>;

  /** Writes nothing more and closes the connection(s). Idempotent; never throws. */
  close(): Promise<void>;
}
