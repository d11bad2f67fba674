/**
 * The small interface a database result backend package implements over its Node driver (pg,
 * mysql2, better-sqlite3). The SQL itself comes from the dialect (`dialects/*.ts`), already written
 * with the driver's placeholders (`$1` on PostgreSQL, `?` elsewhere).
 */

/** A parameter value: text, a number, bytes or NULL. */
export type SqlValue = string | number | Buffer | null;

/** What one statement gave. */
export interface SqlResult {
  /** Rows of a SELECT, columns by name; `[]` for other statements. */
  rows: Record<string, unknown>[];
  /**
   * Rows an INSERT, UPDATE or DELETE touched. For an UPDATE, the rows its WHERE **matched**, even
   * when the values did not change (MySQL needs the `FOUND_ROWS` client flag for this).
   */
  affectedRows: number;
}

/** Runs one statement. */
export type SqlQuery = (sql: string, params?: readonly SqlValue[]) => Promise<SqlResult>;

/**
 * A connection (or pool) to one database.
 *
 * Column values read back: text as strings, bytes columns as Buffers, integers as numbers, and
 * date-time columns as the database's text (`2026-11-22 05:55:20.378000`), never as JS Dates
 * (a driver's time-zone guess would shift Celery's naive UTC).
 */
export interface SqlDriver {
  /** Identifies the database for in-process wake-ups: two drivers on one database give the same text. */
  readonly identity: string;
  /** Runs one statement, on any connection of the pool. */
  query: SqlQuery;
  /** Runs `fn` inside one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (query: SqlQuery) => Promise<T>): Promise<T>;
  /** Closes every connection. */
  close(): Promise<void>;
}
