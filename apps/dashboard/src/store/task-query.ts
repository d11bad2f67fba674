/**
 * The filters and order of a task listing (Flower `iter_tasks` / `sort_tasks`), turned into SQL over
 * the `tasks` table (with `?` parameters) so that the store's indexes answer them, however many tasks
 * are stored. The {@link SqlDialect} says where SQLite and PostgreSQL write it differently.
 *
 * Differences from Flower, on purpose: a task without a worker is left out when filtering by worker,
 * and a task never received is left out when filtering by received time (Flower lets both through).
 */
import { ApiError } from '../errors.js';
import type { SqlDialect } from './dialect.js';
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
export function whereClause(filter: TaskFilter, dialect: SqlDialect): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown): void => {
    conditions.push(sql);
    params.push(value);
  };
  const c = (name: string): string => dialect.column(name);
  if (filter.worker) add(`${c('worker')} = ?`, filter.worker);
  if (filter.name) add(`${c('name')} = ?`, filter.name);
  if (filter.state) add(`${c('state')} = ?`, filter.state);
  if (filter.receivedStart != null) add(`${c('received')} >= ?`, filter.receivedStart);
  if (filter.receivedEnd != null) add(`${c('received')} <= ?`, filter.receivedEnd);
  if (filter.startedStart != null) add(`${c('started')} >= ?`, filter.startedStart);
  if (filter.startedEnd != null) add(`${c('started')} <= ?`, filter.startedEnd);
  const search = searchSql(parseSearchTerms(filter.search), dialect);
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
export function orderClause(sortBy: string | null | undefined, dialect: SqlDialect): string {
  const tie = dialect.insertionOrder;
  if (!sortBy) return `ORDER BY ${dialect.order('timestamp', true)}, ${tie} DESC`;
  const descending = sortBy.startsWith('-');
  const key = sortBy.replace(/^-+/, '');
  if (!(SORT_KEYS as readonly string[]).includes(key)) throw new ApiError(400, `Invalid sort_by '${sortBy}': use one of ${SORT_KEYS.join(', ')}, prefixed with - for descending`);
  return `ORDER BY ${dialect.order(key, descending)}, ${tie} ${descending ? 'DESC' : 'ASC'}`;
}

/** LIMIT/OFFSET with their parameters (no limit: the dialect's "all"). */
export function pageClause(filter: TaskFilter, dialect: SqlDialect): { sql: string; params: unknown[] } {
  const limit = filter.limit ?? dialect.noLimit;
  const offset = Math.max(filter.offset ?? 0, 0);
  return { sql: 'LIMIT ? OFFSET ?', params: [limit, offset] };
}

/**
 * Whether `filter` bounds `received` or `started` while the order is by another column: then the
 * order's index and the range's index differ, and no plan is right for every range (a narrow range
 * in the middle of the history, or a wide one).
 */
export function rangeOffOrder(filter: TaskFilter): boolean {
  const key = filter.sortBy?.replace(/^-+/, '');
  return ((filter.receivedStart != null || filter.receivedEnd != null) && key !== 'received')
    || ((filter.startedStart != null || filter.startedEnd != null) && key !== 'started');
}

/** The equality filters of `filter` (worker, name, state), whose indexes carry the default order. */
const equalityOnly = (filter: TaskFilter): TaskFilter => ({ worker: filter.worker, name: filter.name, state: filter.state, sortBy: filter.sortBy });

/**
 * The listing among the first `window` rows, in its order, that its equality filters keep (worker,
 * name, state), its ranges and search checked on those only: the store walks the order's index and
 * stops after `window` rows. Exact when it returns a full page, the window having held all of the
 * page's matches.
 * @throws ApiError 400 for an unknown sort key.
 */
export function windowedListingQuery(filter: TaskFilter, dialect: SqlDialect, columns: string, window: number): { sql: string; params: unknown[] } {
  const inner = whereClause(equalityOnly(filter), dialect);
  const outer = whereClause({ ...filter, worker: null, name: null, state: null }, dialect);
  const order = orderClause(filter.sortBy, dialect);
  const page = pageClause(filter, dialect);
  // SQLite's rowid is not among `*`; PostgreSQL's seq is.
  const rows = dialect.name === 'sqlite' ? `${dialect.insertionOrder}, *` : '*';
  return {
    sql: `SELECT ${columns} FROM (SELECT ${rows} FROM tasks ${inner.sql} ${order} LIMIT ?) AS w ${outer.sql} ${order} ${page.sql}`,
    params: [...inner.params, window, ...outer.params, ...page.params],
  };
}

/**
 * The listing as two steps in one query: the page's keys (insertion order) sorted first, reading no
 * more of each candidate row than the filters need, then the page's rows. For a query that starts
 * from many candidates (SQLite's `drive` plan), sorting keys instead of whole rows halves its cost.
 * @throws ApiError 400 for an unknown sort key.
 */
export function keysFirstListingQuery(filter: TaskFilter, dialect: SqlDialect, columns: string): { sql: string; params: unknown[] } {
  const keys = listingQuery(filter, dialect, dialect.insertionOrder);
  return { sql: `SELECT ${columns} FROM tasks WHERE ${dialect.insertionOrder} IN (${keys.sql}) ${orderClause(filter.sortBy, dialect)}`, params: keys.params };
}

/** The whole listing query over `columns`, and its parameters. @throws ApiError 400 for an unknown sort key. */
export function listingQuery(filter: TaskFilter, dialect: SqlDialect, columns: string): { sql: string; params: unknown[] } {
  const where = whereClause(filter, dialect);
  const page = pageClause(filter, dialect);
  return { sql: `SELECT ${columns} FROM tasks ${where.sql} ${orderClause(filter.sortBy, dialect)} ${page.sql}`, params: [...where.params, ...page.params] };
}
