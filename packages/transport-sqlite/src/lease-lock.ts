/**
 * Lease locks in a SQLite file: one row per lock (`name`, the holder's `owner` token, `expires_at` in
 * ms since the epoch), read and written in one IMMEDIATE transaction, so two processes sharing the
 * file cannot both win. The transport keeps them in its broker file (table `cq_lease_lock`), beat's
 * fallback in its schedule file (table `beat_lock`); kombu's SQLAlchemy transport ignores both.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ConfigurationError, type LeaseLock } from '@cq/kombu';
import { toTransportError } from './errors.js';

/** What a {@link SqliteLeaseLock} is built with, beyond its database and name. */
export interface SqliteLeaseLockOptions {
  /** Table of the locks, created when missing. Default `cq_lease_lock`. */
  table?: string;
  /** Names the holder. Default a random UUID. */
  token?: string;
}

/** A {@link LeaseLock} (@cq/kombu) as a row of a SQLite table. */
export class SqliteLeaseLock implements LeaseLock {
  readonly token: string;
  readonly table: string;
  private readonly db: () => Database.Database;
  private ready = false;

  /**
   * @param db the open database, or a function returning it (a transport's, which may reconnect);
   *   the lock never closes it.
   * @param name the lock's name (its row).
   * @throws ConfigurationError (kombu) when `options.table` is not a plain SQL name.
   */
  constructor(db: Database.Database | (() => Database.Database), readonly name: string, options: SqliteLeaseLockOptions = {}) {
    this.db = typeof db === 'function' ? db : () => db;
    this.table = options.table ?? 'cq_lease_lock';
    this.token = options.token ?? randomUUID();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(this.table)) {
      throw new ConfigurationError(`lease lock table ${JSON.stringify(this.table)} is not a plain SQL name: use letters, digits and _`);
    }
  }

  /**
   * See {@link LeaseLock.acquire}. Rejects with a kombu error (`errors.ts`): ConnectionError when the
   * file stayed locked past the busy timeout, TransportError otherwise.
   */
  async acquire(leaseMs: number): Promise<boolean> {
    const db = this.db();
    try {
      if (!this.ready) {
        db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
        this.ready = true;
      }
      return db.transaction(() => {
        const now = Date.now();
        const row = db.prepare(`SELECT owner, expires_at FROM ${this.table} WHERE name = ?`).get(this.name) as { owner: string; expires_at: number } | undefined;
        if (row && row.owner !== this.token && row.expires_at > now) return false;
        db.prepare(`INSERT INTO ${this.table} (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`)
          .run(this.name, this.token, now + Math.ceil(leaseMs));
        return true;
      }).immediate();
    } catch (err) {
      throw toTransportError(err, `taking the lease lock ${this.name}`, db.name);
    }
  }

  /** Deletes the row if this holder has it; nothing when the database is closed or fails (the lease runs out). */
  async release(): Promise<void> {
    try {
      const db = this.db();
      if (this.ready && db.open) db.prepare(`DELETE FROM ${this.table} WHERE name = ? AND owner = ?`).run(this.name, this.token);
    } catch {
      // The lease runs out by itself.
    }
  }

  /** Nothing to free: the database belongs to whoever opened it. */
  async close(): Promise<void> {}
}
