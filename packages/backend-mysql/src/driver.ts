/**
 * The {@link SqlDriver} of @cq/backend's database template over a mysql2 pool: DATETIME read as its
 * text (`dateStrings`), BLOBs as Buffers, and the FOUND_ROWS client flag so an UPDATE reports the
 * rows it matched (the MySQL dialect relies on it).
 */
import mysql from 'mysql2/promise';
import type { SqlDriver, SqlQuery, SqlResult } from '@cq/backend';

export class Mysql2Driver implements SqlDriver {
  readonly pool: mysql.Pool;

  /** @param config mysql2 pool options (host, user, connectionLimit, …). */
  constructor(config: mysql.PoolOptions, readonly identity: string) {
    this.pool = mysql.createPool({ ...config, dateStrings: ['DATETIME'], flags: ['FOUND_ROWS', ...(config.flags ?? [])] });
  }

  readonly query: SqlQuery = async (sql, params = []) => result(await this.pool.query(sql, params as unknown[]));

  async transaction<T>(fn: (query: SqlQuery) => Promise<T>): Promise<T> {
    const conn = await this.pool.getConnection();
    try {
      await conn.beginTransaction();
      const value = await fn(async (sql, params = []) => result(await conn.query(sql, params as unknown[])));
      await conn.commit();
      return value;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function result([rows]: [unknown, unknown]): SqlResult {
  if (Array.isArray(rows)) return { rows: rows as Record<string, unknown>[], affectedRows: 0 };
  return { rows: [], affectedRows: (rows as { affectedRows?: number }).affectedRows ?? 0 };
}
