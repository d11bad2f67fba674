/**
 * Beat lock in a SQLite file: one row per lock with the owner's token and the lease's end (ms since
 * the epoch), read and written in one IMMEDIATE transaction so two processes cannot both win.
 * Fits beats on one machine sharing a file (the embedded SQLite broker).
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { BeatLockError } from '../errors.js';
import type { LeaseLock } from './lease-lock.js';

export class SqliteLeaseLock implements LeaseLock {
  readonly token = randomUUID();

  /** @param db a database with the `beat_lock` table (a {@link SqliteScheduleStore}'s). */
  constructor(private readonly db: Database.Database, private readonly name = 'beat') {}

  async acquire(leaseMs: number): Promise<boolean> {
    try {
      return this.db.transaction(() => {
        const now = Date.now();
        const row = this.db.prepare('SELECT owner, expires_at FROM beat_lock WHERE name = ?').get(this.name) as { owner: string; expires_at: number } | undefined;
        if (row && row.owner !== this.token && row.expires_at > now) return false;
        this.db.prepare('INSERT INTO beat_lock (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at')
          .run(this.name, this.token, now + leaseMs);
        return true;
      }).immediate();
    } catch (err) {
      throw new BeatLockError(`beat lock (sqlite): ${(err as Error).message}`, { cause: err });
    }
  }

  async release(): Promise<void> {
    if (this.db.open) this.db.prepare('DELETE FROM beat_lock WHERE name = ? AND owner = ?').run(this.name, this.token);
  }

  async close(): Promise<void> {
    // The database belongs to the schedule store, which closes it.
  }
}
