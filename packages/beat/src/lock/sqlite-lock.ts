/**
 * Beat lock in beat's SQLite state file (table `beat_lock`), the fallback when the broker offers no
 * lock of its own: beats sharing the state file (the default, beside an embedded SQLite broker's
 * file) share it. The lock itself is @cq/transport-sqlite's: one row read and written in one
 * IMMEDIATE transaction.
 */
import type Database from 'better-sqlite3';
import { SqliteLeaseLock as SharedSqliteLeaseLock } from '@cq/transport-sqlite';
import { BeatError, BeatLockError } from '../errors.js';

export class SqliteLeaseLock extends SharedSqliteLeaseLock {
  /** @param db a database with the `beat_lock` table (a {@link SqliteScheduleStore}'s), not closed by the lock. */
  constructor(db: Database.Database, name = 'beat') {
    super(db, name, { table: 'beat_lock' });
  }

  /** See LeaseLock.acquire; rejects with BeatLockError when the file fails. */
  override async acquire(leaseMs: number): Promise<boolean> {
    try {
      return await super.acquire(leaseMs);
    } catch (err) {
      if (err instanceof BeatError) throw err;
      throw new BeatLockError(`beat lock (sqlite): ${(err as Error).message}`, { cause: err });
    }
  }
}
