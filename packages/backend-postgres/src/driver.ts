/**
 * The {@link SqlDriver} of @cq/backend's database template over a pg Pool. `TIMESTAMP WITHOUT TIME
 * ZONE` values are read as their text (pg would read them as local time), bytea as Buffers.
 */
import pg from 'pg';
import type { SqlDriver, SqlQuery, SqlResult, SqlValue } from '@cq/backend';

/** pg's type id of `timestamp without time zone`. */
const TIMESTAMP_OID = 1114;

const keepText = (value: string): string => value;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === TIMESTAMP_OID ? keepText : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class PgDriver implements SqlDriver {
  readonly pool: pg.Pool;

  /** @param config pg Pool options (connection string, pool size, …). */
  constructor(config: pg.PoolConfig, readonly identity: string) {
    this.pool = new pg.Pool({ ...config, types });
    // An idle connection that breaks is dropped by the pool; the next query opens a new one.
    this.pool.on('error', () => undefined);
  }

  readonly query: SqlQuery = async (sql, params = []) => result(await this.pool.query(sql, params as SqlValue[]));

  async transaction<T>(fn: (query: SqlQuery) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const value = await fn(async (sql, params = []) => result(await client.query(sql, params as SqlValue[])));
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function result(r: pg.QueryResult): SqlResult {
  return { rows: r.rows as Record<string, unknown>[], affectedRows: r.rowCount ?? 0 };
}
