/**
 * The filters and order of a task listing (Flower `iter_tasks` / `sort_tasks`), turned into SQL over
 * the `tasks` table so that SQLite's indexes answer them, however many tasks are stored.
 *
 * Differences from Flower, on purpose: a task without a worker is left out when filtering by worker,
 * and a task never received is left out when filtering by received time (Flower lets both through).
 */
import { ApiError } from '../errors.js';
import { parseSearchTerms, searchSql } from './search.js';

export interface TaskFilter {
  /** Rows to return; null or undefined for all. */
  limit?: number | null;
  /** Rows to skip. Default 0. */
  offset?: number;
  /**
   * `name`, `state`, `received` or `started`, ascending; prefixed with `-`, descending (Flower
   * `sort_by`). Default: by the time of the last event, newest first (Flower `tasks_by_timestamp`).
   */
  sortBy?: string | null;
  /** Worker host name (Flower `workername`). */
  worker?: string | null;
  /** Task name (Flower `taskname`). */
  name?: string | null;
  state?: string | null;
  /** Unix seconds: received at or after (Flower `received_start`). */
  receivedStart?: number | null;
  /** Unix seconds: received at or before (Flower `received_end`). */
  receivedEnd?: number | null;
  startedStart?: number | null;
  startedEnd?: number | null;
  /** Flower's search syntax (see `search.ts`). */
  search?: string | null;
}

/** Columns a listing may be sorted by (Flower `sort_keys`). */
export const SORT_KEYS = ['name', 'state', 'received', 'started'] as const;

/** The WHERE clause (`''` when nothing filters) and its parameters. */
export function whereClause(filter: TaskFilter): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown): void => {
    conditions.push(sql);
    params.push(value);
  };
  if (filter.worker) add('worker = ?', filter.worker);
  if (filter.name) add('name = ?', filter.name);
  if (filter.state) add('state = ?', filter.state);
  if (filter.receivedStart != null) add('received >= ?', filter.receivedStart);
  if (filter.receivedEnd != null) add('received <= ?', filter.receivedEnd);
  if (filter.startedStart != null) add('started >= ?', filter.startedStart);
  if (filter.startedEnd != null) add('started <= ?', filter.startedEnd);
  const search = searchSql(parseSearchTerms(filter.search));
  if (search) {
    conditions.push(search.sql);
    params.push(...search.params);
  }
  return { sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/**
 * The ORDER BY clause. Ties keep insertion order, so pages never overlap.
 * @throws ApiError 400 for a sort key Flower does not know.
 */
export function orderClause(sortBy: string | null | undefined): string {
  if (!sortBy) return 'ORDER BY timestamp DESC, rowid DESC';
  const descending = sortBy.startsWith('-');
  const key = sortBy.replace(/^-+/, '');
  if (!(SORT_KEYS as readonly string[]).includes(key)) throw new ApiError(400, `Invalid sort_by '${sortBy}': use one of ${SORT_KEYS.join(', ')}, prefixed with - for descending`);
  const dir = descending ? 'DESC' : 'ASC';
  return `ORDER BY ${key} ${dir}, rowid ${dir}`;
}

/** LIMIT/OFFSET (SQLite needs a LIMIT before an OFFSET; -1 is none). */
export function pageClause(filter: TaskFilter): { sql: string; params: unknown[] } {
  const limit = filter.limit ?? -1;
  const offset = Math.max(filter.offset ?? 0, 0);
  return { sql: 'LIMIT ? OFFSET ?', params: [limit, offset] };
}
