/**
 * What both stores write and read back: a TaskState as `tasks` column values, a WorkerState as
 * `workers` column values, and a `workers` row decoded. Numbers stay numbers, structures become
 * JSON text, so the two databases hold the same values.
 */
import type { CeleryEvent, TaskState, WorkerState } from '@cq/celery';
import type { WorkerRow } from './event-store.js';

/** Task columns filled from the TaskState field of the same name. */
export const TASK_FIELDS = [
  'name', 'state', 'client', 'timestamp', 'clock', 'sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked',
  'rejected', 'args', 'kwargs', 'eta', 'expires', 'retries', 'result', 'exception', 'traceback', 'runtime', 'exchange',
  'routing_key', 'root_id', 'parent_id',
] as const;

/** Every `tasks` column, in the order a TaskRow lists them (what a listing selects). */
export const TASK_COLUMNS = ['uuid', 'name', 'state', 'worker', 'client', 'timestamp', 'clock', 'sent', 'received', 'started', 'succeeded',
  'failed', 'retried', 'revoked', 'rejected', 'args', 'kwargs', 'eta', 'expires', 'retries', 'result', 'exception', 'traceback', 'runtime',
  'exchange', 'routing_key', 'root_id', 'parent_id', 'extra', 'recorded'] as const;

/** Columns an upsert writes (all but `recorded`, which keeps the first event's time). */
export const UPSERT_COLUMNS = ['uuid', 'worker', ...TASK_FIELDS, 'extra'] as const;

/** `workers` columns an event updates (not `info`, which inspecting fills). */
export const WORKER_COLUMNS = ['hostname', 'pid', 'freq', 'clock', 'active', 'processed', 'loadavg', 'sw_ident', 'sw_ver', 'sw_sys', 'heartbeats',
  'online', 'last_seen'] as const;

/** Columns holding numbers (REAL/INTEGER in SQLite, double precision in PostgreSQL). */
export const NUMERIC = new Set<string>(['timestamp', 'clock', 'sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected',
  'retries', 'runtime', 'recorded', 'pid', 'freq', 'active', 'processed', 'last_seen']);

/** Event fields not worth keeping in `extra` (they describe the message, not the task). */
const NOT_EXTRA = new Set(['local_received', 'utcoffset', 'pid', 'clock', 'timestamp']);

/** A value as a column takes it: a finite number for numeric columns, text (JSON for structures) otherwise. */
export function cell(column: string, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (NUMERIC.has(column)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const parseJson = <T>(text: string | null, fallback: T): T => {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

/** A task's column values by name (`recorded` = `now` for a new row). */
export function taskValues(task: TaskState, now: number): Record<(typeof UPSERT_COLUMNS)[number] | 'recorded', string | number | null> {
  const values: Record<string, string | number | null> = { uuid: task.uuid, worker: task.worker?.hostname || null, recorded: now };
  for (const field of TASK_FIELDS) values[field] = cell(field, (task as unknown as Record<string, unknown>)[field]);
  const extra = Object.fromEntries(Object.entries(task.extra).filter(([k]) => !NOT_EXTRA.has(k)));
  values['extra'] = Object.keys(extra).length ? JSON.stringify(extra) : null;
  return values;
}

/** A worker's column values by name; `online` as 1/0, `last_seen` its last heartbeat, else `now`. */
export function workerValues(worker: WorkerState, online: boolean, now: number): Record<(typeof WORKER_COLUMNS)[number], string | number | null> {
  const last = worker.heartbeats[worker.heartbeats.length - 1];
  return {
    hostname: worker.hostname, pid: cell('pid', worker.pid), freq: cell('freq', worker.freq), clock: cell('clock', worker.clock),
    active: cell('active', worker.active), processed: cell('processed', worker.processed), loadavg: worker.loadavg ? JSON.stringify(worker.loadavg) : null,
    sw_ident: worker.sw_ident, sw_ver: worker.sw_ver, sw_sys: worker.sw_sys, heartbeats: JSON.stringify(worker.heartbeats), online: online ? 1 : 0,
    last_seen: last ?? now,
  };
}

/** An event's column values: `uuid` (task events), type, hostname, timestamp, `local_received`, the event as JSON. */
export function eventValues(event: CeleryEvent, now: number): [string | null, string, string | null, number | null, number, string] {
  const uuid = typeof event['uuid'] === 'string' ? event['uuid'] : null;
  const local = typeof event.local_received === 'number' ? event.local_received : now;
  return [uuid, event.type, typeof event.hostname === 'string' ? event.hostname : null, cell('timestamp', event.timestamp) as number | null, local, JSON.stringify(event)];
}

/** A `workers` row as read (JSON text, 1/0 or boolean `online`) decoded. */
export function decodeWorker(row: Record<string, unknown>): WorkerRow {
  return {
    ...(row as unknown as WorkerRow),
    loadavg: parseJson<number[] | null>(row['loadavg'] as string | null, null),
    heartbeats: parseJson<number[]>(row['heartbeats'] as string | null, []),
    online: row['online'] === 1 || row['online'] === true,
    info: parseJson<Record<string, unknown> | null>(row['info'] as string | null, null),
  };
}
