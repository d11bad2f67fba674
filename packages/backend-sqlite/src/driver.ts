/**
 * The {@link SqlDriver} of @cq/backend's database template over one better-sqlite3 connection.
 * Statements run synchronously and are prepared once per SQL text. A transaction is `BEGIN
 * IMMEDIATE` … `COMMIT`; statements issued meanwhile by other callers of this driver wait for it, so
 * nothing of theirs runs inside it.
 */
import type Database from 'better-sqlite3';
import type { SqlDriver, SqlQuery, SqlResult, SqlValue } from '@cq/backend';

export class SqliteDriver implements SqlDriver {
  readonly #statements = new Map<string, Database.Statement>();
  #transaction: Promise<unknown> | null = null;

  /** @param db an open connection, closed by {@link close}. */
  constructor(readonly db: Database.Database, readonly identity: string) {}

  readonly query: SqlQuery = async (sql, params = []) => {
    while (this.#transaction) await this.#transaction.catch(() => undefined);
    return this.run(sql, params);
  };

  async transaction<T>(fn: (query: SqlQuery) => Promise<T>): Promise<T> {
    while (this.#transaction) await this.#transaction.catch(() => undefined);
    const body = (async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(async (sql, params = []) => this.run(sql, params));
        this.db.exec('COMMIT');
        return value;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    })();
    this.#transaction = body;
    try {
      return await body;
    } finally {
      this.#transaction = null;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private run(sql: string, params: readonly SqlValue[]): SqlResult {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    if (statement.reader) return { rows: statement.all(...params) as Record<string, unknown>[], affectedRows: 0 };
    return { rows: [], affectedRows: statement.run(...params).changes };
  }
}
