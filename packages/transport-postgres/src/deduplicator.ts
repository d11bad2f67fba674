/**
 * Enqueue-time deduplication records (@cq/kombu `Deduplicator`) in the broker's database: one row per
 * key in `cq_deduplication` (`kombu_deduplication` for `sqla+postgresql://`; option
 * `deduplication_tablename`): `key` primary key, `task_id`, `stamp`, `expires_at`. The table is created
 * on first use. Claiming is one upsert, judged by the server's clock:
 *
 * ```sql
 * INSERT INTO cq_deduplication AS d (key, task_id, stamp, expires_at) VALUES ($1, $2, $3, now() + $4 ms)
 * ON CONFLICT (key) DO UPDATE SET
 *   task_id    = CASE WHEN d.expires_at <= now() THEN EXCLUDED.task_id ELSE d.task_id END,
 *   stamp      = CASE WHEN d.expires_at <= now() OR $5 THEN EXCLUDED.stamp ELSE d.stamp END,
 *   expires_at = CASE WHEN d.expires_at <= now() OR $5 THEN EXCLUDED.expires_at ELSE d.expires_at END
 * RETURNING task_id, stamp
 * ```
 *
 * Concurrent claims serialize on the row (each re-reads the row the previous one committed), so one
 * wins; the caller won when the row came back with its own task id and stamp (a superseding claim of a
 * held key comes back with the holder's task id). Releasing locks the row (`SELECT … FOR UPDATE` in
 * the same statement) before it decides. Every {@link PURGE_EVERY}th claim of a process also deletes
 * expired rows of other keys.
 */
import type { Pool } from 'pg';
import type { DeduplicationRecord, Deduplicator, ReleaseOutcome } from '@cq/kombu';
import { toTransportError } from './errors.js';
import { createUnderLock } from './schema.js';

/** Claims between two purges of expired rows. */
export const PURGE_EVERY = 100;

/** A {@link Deduplicator} (@cq/kombu) as rows of a table in the broker's database. */
export class PostgresDeduplicator implements Deduplicator {
  private ready: Promise<void> | null = null;
  private claims = 0;

  /**
   * @param pool the connected transport's pool, asked for on each call (it throws kombu's
   *   OperationalError while the transport is not connected); never closed here.
   * @param table the table, quoted for SQL (`options.ts`).
   * @param where `host:port/db` for messages.
   */
  constructor(private readonly pool: () => Pool, private readonly table: string, private readonly where: string) {}

  /** See {@link Deduplicator.claim}; `ttlMs` is rounded up to whole ms, at least 1. */
  async claim(key: string, record: DeduplicationRecord, ttlMs: number, supersede: boolean): Promise<DeduplicationRecord | null> {
    const t = this.table;
    const { rows } = await this.query<{ task_id: string; stamp: string }>(`claiming deduplication key ${key}`,
      `INSERT INTO ${t} AS d (key, task_id, stamp, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4::float8 / 1000))
       ON CONFLICT (key) DO UPDATE SET
         task_id = CASE WHEN d.expires_at <= now() THEN EXCLUDED.task_id ELSE d.task_id END,
         stamp = CASE WHEN d.expires_at <= now() OR $5 THEN EXCLUDED.stamp ELSE d.stamp END,
         expires_at = CASE WHEN d.expires_at <= now() OR $5 THEN EXCLUDED.expires_at ELSE d.expires_at END
       RETURNING task_id, stamp`,
      [key, record.taskId, record.stamp, Math.max(1, Math.ceil(ttlMs)), supersede]);
    if (++this.claims % PURGE_EVERY === 0) {
      this.pool().query(`DELETE FROM ${t} WHERE expires_at <= now()`).catch(() => undefined);
    }
    const row = rows[0]!;
    return row.task_id === record.taskId && row.stamp === record.stamp ? null : { taskId: row.task_id, stamp: row.stamp };
  }

  /** See {@link Deduplicator.release}. */
  async release(key: string, taskId: string, stamp?: string): Promise<ReleaseOutcome> {
    const t = this.table;
    const { rows } = await this.query<{ task_id: string; stamp: string; live: boolean }>(`releasing deduplication key ${key}`,
      `WITH cur AS (SELECT key, task_id, stamp, expires_at > now() AS live FROM ${t} WHERE key = $1 FOR UPDATE),
       gone AS (DELETE FROM ${t} d USING cur WHERE d.key = cur.key
                  AND (NOT cur.live OR (cur.task_id = $2 AND ($3::text IS NULL OR cur.stamp = $3))))
       SELECT task_id, stamp, live FROM cur`,
      [key, taskId, stamp ?? null]);
    const row = rows[0];
    if (!row || !row.live || row.task_id !== taskId) return 'absent';
    return stamp !== undefined && row.stamp !== stamp ? 'superseded' : 'released';
  }

  /** See {@link Deduplicator.get}. */
  async get(key: string): Promise<DeduplicationRecord | null> {
    const { rows } = await this.query<{ task_id: string; stamp: string }>(`reading deduplication key ${key}`,
      `SELECT task_id, stamp FROM ${this.table} WHERE key = $1 AND expires_at > now()`, [key]);
    return rows[0] ? { taskId: rows[0].task_id, stamp: rows[0].stamp } : null;
  }

  /** See {@link Deduplicator.remove}. */
  async remove(key: string): Promise<boolean> {
    const { rows } = await this.query<{ live: boolean }>(`removing deduplication key ${key}`,
      `DELETE FROM ${this.table} WHERE key = $1 RETURNING expires_at > now() AS live`, [key]);
    return rows[0]?.live === true;
  }

  private async query<R>(action: string, text: string, values: unknown[]): Promise<{ rows: R[] }> {
    try {
      await (this.ready ??= this.createTable());
      const { rows } = await this.pool().query(text, values);
      return { rows: rows as R[] };
    } catch (err) {
      throw toTransportError(err, action, this.where);
    }
  }

  /** The table, when missing: under an advisory lock, so processes starting together do not race. */
  private createTable(): Promise<void> {
    const made = createUnderLock(this.pool(), this.table, `CREATE TABLE IF NOT EXISTS ${this.table} (
      key text PRIMARY KEY, task_id text NOT NULL, stamp text NOT NULL, expires_at timestamptz NOT NULL)`);
    made.catch(() => { this.ready = null; });
    return made;
  }
}
