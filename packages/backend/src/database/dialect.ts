/**
 * What differs between the databases Celery's database backend runs on: identifier quoting,
 * placeholders, the DDL SQLAlchemy emits for the model (`model.ts`), the id sequence, the way "write
 * unless SUCCESS" is done atomically, and how a naive UTC date-time is written. One object per
 * database in `dialects/`; the backend (`database-backend.ts`) writes the rest of its SQL through it.
 */
import type { SqlDriver, SqlQuery } from './driver.js';
import type { TableRef, TaskColumn, TaskRow, Tables } from './model.js';

export interface SqlDialect {
  /** `postgresql`, `mysql` or `sqlite` (SQLAlchemy's dialect names). */
  readonly name: string;
  /** A quoted identifier. */
  quote(identifier: string): string;
  /** The placeholder of the `n`-th parameter (1-based). */
  param(n: number): string;
  /** `schema.table`, quoted. */
  table(ref: TableRef): string;
  /**
   * Creates what is missing of both tables (and sequences) as SQLAlchemy's `create_all` would for
   * this server, and adds the `result_extended` columns to a task table made without them when
   * `extended` is on. Runs inside one transaction of `query`; safe to run from several processes at
   * once. Resolves with how each table's `id` is assigned (see {@link RowIds}).
   */
  createTables(query: SqlQuery, tables: Tables, extended: boolean): Promise<RowIds>;
  /**
   * Writes `row` (its `columns` besides task_id) unless the stored status is SUCCESS, atomically.
   * `id` is the table's entry of {@link RowIds}.
   * @returns true when written.
   */
  storeTask(query: SqlQuery, table: TableRef, row: TaskRow, columns: readonly TaskColumn[], id: string | null): Promise<boolean>;
  /**
   * Optional: {@link storeTask} for several rows with distinct task ids in as few round trips as the
   * database allows (one transaction, one multi-row statement). Resolves with which rows were
   * written, in order. Without it the backend calls `storeTask` for each row.
   */
  storeTasks?(driver: SqlDriver, table: TableRef, rows: readonly TaskRow[], columns: readonly TaskColumn[], id: string | null): Promise<boolean[]>;
  /** Inserts or replaces a group row (`taskset_id`, `result`, `date_done`). */
  saveGroup(query: SqlQuery, table: TableRef, groupId: string, result: Buffer, dateDone: string, id: string | null): Promise<void>;
  /** A date for a DateTime column: naive UTC text in the form the database stores. */
  formatDate(date: Date): string;
}

/**
 * How a new row of each table gets its `id`: an SQL expression to insert (`nextval('task_id_sequence')`
 * where SQLAlchemy uses the model's Sequence, as Python does on PostgreSQL and MariaDB ≥ 10.3), or
 * null where the database assigns it (AUTO_INCREMENT, SQLite's AUTOINCREMENT).
 */
export interface RowIds {
  task: string | null;
  group: string | null;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC (SQLAlchemy's form; JS dates have milliseconds). */
export function naiveUtc(date: Date): string {
  return `${date.toISOString().slice(0, 23).replace('T', ' ')}000`;
}

/** The `result_extended` columns, for {@link SqlDialect.createTables}. */
export const EXTENDED_COLUMN_TYPES = (text: string, bytes: string, integer: string): ReadonlyArray<readonly [string, string]> => [
  ['name', text], ['args', bytes], ['kwargs', bytes], ['worker', text], ['retries', integer], ['queue', text],
];
