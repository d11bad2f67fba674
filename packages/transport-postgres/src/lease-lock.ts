/**
 * Lease locks in the broker's database: one row per lock (`name`, the holder's `owner` token,
 * `expires_at`) in `cq_lease_lock` (`kombu_lease_lock` for `sqla+postgresql://`). Taking and renewing
 * is one atomic upsert that writes only when the row is free, expired, or already this holder's:
 *
 * ```sql
 * INSERT INTO cq_lease_lock (name, owner, expires_at) VALUES ($1, $2, now() + $3 ms)
 * ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
 *   WHERE cq_lease_lock.expires_at <= now() OR cq_lease_lock.owner = EXCLUDED.owner
 * RETURNING owner
 * ```
 *
 * Two competing statements serialize on the row (the second re-checks the `WHERE` against the first's
 * committed row), so two holders never both win. Expiry is judged by the server's clock alone, so the
 * clocks of the machines running beat do not matter. This is beat's single-active lock when the
 * broker is PostgreSQL (kombu has none; see @cq/kombu `LeaseLock`).
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { LeaseLock } from '@cq/kombu';
import { toTransportError } from './errors.js';

/** A {@link LeaseLock} (@cq/kombu) as a row of the transport's lock table. */
export class PostgresLeaseLock implements LeaseLock {
  readonly token: string;

  /**
   * @param pool the connected transport's pool, asked for on each call (it throws kombu's
   *   OperationalError while the transport is not connected); the lock never closes it.
   * @param table the lock table, quoted for SQL (`options.ts`).
   * @param name the lock's name (its row).
   * @param where `host:port/db` for messages.
   * @param token names this holder; default a random UUID.
   */
  constructor(
    private readonly pool: () => Pool,
    private readonly table: string,
    readonly name: string,
    private readonly where: string,
    token?: string,
  ) {
    this.token = token ?? randomUUID();
  }

  /**
   * See {@link LeaseLock.acquire}: true when this holder has the lock for `leaseMs` ms from now (the
   * server's now). Rejects with kombu's ConnectionError (recoverable) or PostgresQueryError.
   */
  async acquire(leaseMs: number): Promise<boolean> {
    try {
      const { rowCount } = await this.pool().query(
        `INSERT INTO ${this.table} AS l (name, owner, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
         ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
           WHERE l.expires_at <= now() OR l.owner = EXCLUDED.owner
         RETURNING owner`,
        [this.name, this.token, Math.max(0, Math.ceil(leaseMs))],
      );
      return rowCount === 1;
    } catch (err) {
      throw toTransportError(err, `taking the lease lock ${this.name}`, this.where);
    }
  }

  /** Deletes the row if this holder has it; nothing when that fails (the lease runs out by itself). */
  async release(): Promise<void> {
    try {
      await this.pool().query(`DELETE FROM ${this.table} WHERE name = $1 AND owner = $2`, [this.name, this.token]);
    } catch {
      // The lease runs out by itself.
    }
  }

  /** Nothing to free: the pool is the transport's. */
  async close(): Promise<void> {}
}
