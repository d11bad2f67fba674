/**
 * The event store: the dashboard's history in one SQLite file (better-sqlite3, WAL), so a restart
 * loses nothing and the process keeps only a bounded cache in memory.
 *
 * ```ts
 * const store = new EventStore('.cq/dashboard.db');
 * store.write({ events, tasks, workers });               // one transaction per batch
 * store.tasks({ state: 'FAILURE', limit: 20 });           // newest first, answered by an index
 * store.prune({ maxTasks: 100_000, maxAge: 7 * 86400 });  // retention
 * store.close();
 * ```
 *
 * Rows mirror Celery's `events.state` objects; timestamps are float Unix seconds. Writes are
 * synchronous (better-sqlite3): the recorder batches them, one transaction per flush.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CeleryEvent, TaskState, WorkerState } from '@cq/celery';
import { EventStoreError } from '../errors.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';
import { kwargIs } from './search.js';
import { orderClause, pageClause, whereClause, type TaskFilter } from './task-query.js';

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

/** Task columns filled from the TaskState field of the same name. */
const TASK_FIELDS = [
  'name', 'state', 'client', 'timestamp', 'clock', 'sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked',
  'rejected', 'args', 'kwargs', 'eta', 'expires', 'retries', 'result', 'exception', 'traceback', 'runtime', 'exchange',
  'routing_key', 'root_id', 'parent_id',
] as const;
const NUMERIC = new Set(['timestamp', 'clock', 'sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected', 'retries', 'runtime']);
/** Event fields not worth keeping in `extra` (they describe the message, not the task). */
const NOT_EXTRA = new Set(['local_received', 'utcoffset', 'pid', 'clock', 'timestamp']);

/** A value as SQLite takes it: numbers for numeric columns, text (JSON for structures) otherwise. */
function cell(column: string, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (NUMERIC.has(column)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const parseJson = <T>(text: string | null, fallback: T): T => {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

export class EventStore {
  readonly db: Database.Database;
  private readonly upsertTask: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly upsertWorker: Database.Statement;
  private readonly writeAll: (batch: WriteBatch, now: number) => void;

  /**
   * Opens (creating when missing, with its directory) the store in `file`; `':memory:'` for a
   * store that lives as long as the object.
   * @throws EventStoreError when the file cannot be opened or was written by a newer schema.
   */
  constructor(readonly file: string) {
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new EventStoreError(`cannot open the dashboard store ${file}: ${(err as Error).message}`, { cause: err });
    }
    const version = Number((this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value?: string } | undefined)?.value ?? 0);
    if (version > SCHEMA_VERSION) throw new EventStoreError(`${file} holds schema version ${version}; this dashboard reads up to ${SCHEMA_VERSION}`);
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    this.db.function('cq_kwarg_is', { deterministic: true }, (kwargs, key, value) => (kwargIs(kwargs as string | null, String(key), String(value)) ? 1 : 0));

    const columns = ['uuid', 'worker', ...TASK_FIELDS, 'extra'];
    this.upsertTask = this.db.prepare(
      `INSERT INTO tasks (${columns.join(', ')}, recorded) VALUES (${columns.map((c) => `@${c}`).join(', ')}, @recorded)
       ON CONFLICT (uuid) DO UPDATE SET ${columns.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    );
    this.insertEvent = this.db.prepare(
      'INSERT INTO events (uuid, type, hostname, timestamp, local_received, fields) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const workerColumns = ['hostname', 'pid', 'freq', 'clock', 'active', 'processed', 'loadavg', 'sw_ident', 'sw_ver', 'sw_sys', 'heartbeats', 'online', 'last_seen'];
    this.upsertWorker = this.db.prepare(
      `INSERT INTO workers (${workerColumns.join(', ')}) VALUES (${workerColumns.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (hostname) DO UPDATE SET ${workerColumns.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    );
    this.writeAll = this.db.transaction((batch: WriteBatch, now: number) => {
      for (const event of batch.events) {
        const uuid = typeof event['uuid'] === 'string' ? event['uuid'] : null;
        this.insertEvent.run(uuid, event.type, event.hostname ?? null, cell('timestamp', event.timestamp), event.local_received ?? now, JSON.stringify(event));
      }
      for (const task of batch.tasks) this.upsertTask.run(this.taskParams(task, now));
      for (const { worker, online } of batch.workers) {
        const last = worker.heartbeats[worker.heartbeats.length - 1];
        this.upsertWorker.run({
          hostname: worker.hostname, pid: cell('pid', worker.pid), freq: worker.freq, clock: worker.clock, active: worker.active,
          processed: worker.processed, loadavg: worker.loadavg ? JSON.stringify(worker.loadavg) : null, sw_ident: worker.sw_ident,
          sw_ver: worker.sw_ver, sw_sys: worker.sw_sys, heartbeats: JSON.stringify(worker.heartbeats), online: online ? 1 : 0,
          last_seen: last ?? now,
        });
      }
    });
  }

  private taskParams(task: TaskState, now: number): Record<string, unknown> {
    const params: Record<string, unknown> = { uuid: task.uuid, worker: task.worker?.hostname || null, recorded: now };
    for (const field of TASK_FIELDS) params[field] = cell(field, (task as unknown as Record<string, unknown>)[field]);
    const extra = Object.fromEntries(Object.entries(task.extra).filter(([k]) => !NOT_EXTRA.has(k)));
    params['extra'] = Object.keys(extra).length ? JSON.stringify(extra) : null;
    return params;
  }

  /** Writes a batch in one transaction. `now` (s) stamps new tasks' `recorded`. */
  write(batch: WriteBatch, now: number = Date.now() / 1000): void {
    if (batch.events.length + batch.tasks.length + batch.workers.length === 0) return;
    this.writeAll(batch, now);
  }

  /** The stored task, or undefined. */
  task(uuid: string): TaskRow | undefined {
    return this.db.prepare('SELECT * FROM tasks WHERE uuid = ?').get(uuid) as TaskRow | undefined;
  }

  /** Tasks matching `filter`, in its order and page. @throws ApiError 400 for an unknown sort key. */
  tasks(filter: TaskFilter = {}): TaskRow[] {
    const where = whereClause(filter);
    const page = pageClause(filter);
    return this.db.prepare(`SELECT * FROM tasks ${where.sql} ${orderClause(filter.sortBy)} ${page.sql}`).all(...where.params, ...page.params) as TaskRow[];
  }

  /** How many tasks match `filter` (its page ignored). */
  countTasks(filter: TaskFilter = {}): number {
    const where = whereClause(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM tasks ${where.sql}`).get(...where.params) as { n: number }).n;
  }

  /** Ids of the children of each given task (tasks whose `parent_id` it is), oldest first. */
  children(uuids: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>(uuids.map((u) => [u, []]));
    for (let i = 0; i < uuids.length; i += 500) {
      const chunk = uuids.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT parent_id, uuid FROM tasks WHERE parent_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY rowid`).all(...chunk) as { parent_id: string; uuid: string }[];
      for (const row of rows) out.get(row.parent_id)?.push(row.uuid);
    }
    return out;
  }

  /**
   * A task's events by their timestamp, then arrival (its timeline): a client's `task-sent` may
   * arrive after the worker's events about the task.
   */
  taskEvents(uuid: string): StoredEvent[] {
    const rows = this.db.prepare('SELECT * FROM events WHERE uuid = ? ORDER BY timestamp, id').all(uuid) as (Omit<StoredEvent, 'fields'> & { fields: string })[];
    return rows.map((r) => ({ ...r, fields: parseJson<CeleryEvent>(r.fields, { type: r.type }) }));
  }

  /** Task names seen, sorted (Flower `/api/task/types`). */
  taskTypes(): string[] {
    return (this.db.prepare('SELECT DISTINCT name FROM tasks WHERE name IS NOT NULL ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  /** Every stored worker, by host name. */
  workers(): WorkerRow[] {
    return (this.db.prepare('SELECT * FROM workers ORDER BY hostname').all() as Record<string, unknown>[]).map(decodeWorker);
  }

  worker(hostname: string): WorkerRow | undefined {
    const row = this.db.prepare('SELECT * FROM workers WHERE hostname = ?').get(hostname) as Record<string, unknown> | undefined;
    return row && decodeWorker(row);
  }

  /** Stores what inspecting a worker returned (a worker not seen yet gets a row). */
  setWorkerInfo(hostname: string, info: Record<string, unknown>, now: number = Date.now() / 1000): void {
    this.db.prepare(`INSERT INTO workers (hostname, last_seen, online, info) VALUES (?, ?, 1, ?)
      ON CONFLICT (hostname) DO UPDATE SET info = excluded.info`).run(hostname, now, JSON.stringify(info));
  }

  /**
   * Retention: drops tasks (with their events) whose last event is older than `maxAge` seconds (0:
   * no limit), then the tasks with the oldest last event past `maxTasks`, then older worker events and
   * workers silent for `maxAge`. Returns how many tasks, events and workers went.
   */
  prune(options: { maxTasks: number; maxAge: number; now?: number }): { tasks: number; events: number; workers: number } {
    const now = options.now ?? Date.now() / 1000;
    const before = (this.db.prepare('SELECT (SELECT count(*) FROM tasks) AS t, (SELECT count(*) FROM events) AS e').get() as { t: number; e: number });
    let tasks = 0;
    let workers = 0;
    if (options.maxAge > 0) {
      const cutoff = now - options.maxAge;
      tasks += this.db.prepare('DELETE FROM tasks WHERE timestamp < ?').run(cutoff).changes;
      tasks += this.db.prepare('DELETE FROM tasks WHERE timestamp IS NULL AND recorded < ?').run(cutoff).changes;
      this.db.prepare('DELETE FROM events WHERE local_received < ?').run(cutoff);
      workers = this.db.prepare('DELETE FROM workers WHERE last_seen < ?').run(cutoff).changes;
    }
    const dropOldest = this.db.prepare('DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks ORDER BY timestamp ASC LIMIT ?)');
    for (let excess = before.t - tasks - options.maxTasks; excess > 0; excess -= 10_000) {
      tasks += dropOldest.run(Math.min(excess, 10_000)).changes;
    }
    const after = (this.db.prepare('SELECT count(*) AS e FROM events').get() as { e: number }).e;
    return { tasks, events: before.e - after, workers };
  }

  /** Closes the database (a WAL checkpoint folds the log into the file). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function decodeWorker(row: Record<string, unknown>): WorkerRow {
  return {
    ...(row as unknown as WorkerRow),
    loadavg: parseJson<number[] | null>(row['loadavg'] as string | null, null),
    heartbeats: parseJson<number[]>(row['heartbeats'] as string | null, []),
    online: row['online'] === 1,
    info: parseJson<Record<string, unknown> | null>(row['info'] as string | null, null),
  };
}
