/**
 * Enqueue-time deduplication records (@cq/kombu `Deduplicator`) in the broker's SQLite file: one row
 * per key in `cq_deduplication` (`key` primary key, `task_id`, `stamp`, `expires_at` in ms since the
 * epoch), created on first use. Each call is one IMMEDIATE transaction, so processes sharing the file
 * (WAL) serialize on it and never both claim a key. Expiry is judged by the caller's clock (every
 * process on one file is on one machine). Expired rows are overwritten by the next claim of their key;
 * every {@link PURGE_EVERY}th claim of a process also deletes up to 100 expired rows of other keys.
 * kombu's SQLAlchemy transport ignores the table.
 */
import type Database from 'better-sqlite3';
import type { DeduplicationRecord, Deduplicator, ReleaseOutcome } from '@cq/kombu';
import { toTransportError } from './errors.js';

/** Claims between two purges of expired rows. */
export const PURGE_EVERY = 100;
const TABLE = 'cq_deduplication';

interface Row {
  task_id: string;
  stamp: string;
  expires_at: number;
}

/** A {@link Deduplicator} (@cq/kombu) as rows of a SQLite table. */
export class SqliteDeduplicator implements Deduplicator {
  private ready = false;
  private claims = 0;

  /**
   * @param db the open database, or a function returning it (a transport's, which may reconnect);
   *   never closed here.
   * @param file the database file, for error messages.
   */
  constructor(private readonly db: () => Database.Database, private readonly file: string) {}

  /** See {@link Deduplicator.claim}. */
  async claim(key: string, record: DeduplicationRecord, ttlMs: number, supersede: boolean): Promise<DeduplicationRecord | null> {
    return this.write(`claiming deduplication key ${key}`, (db, now) => {
      const expiresAt = now + Math.max(1, Math.ceil(ttlMs));
      if (++this.claims % PURGE_EVERY === 0) {
        db.prepare(`DELETE FROM ${TABLE} WHERE rowid IN (SELECT rowid FROM ${TABLE} WHERE expires_at <= ? LIMIT 100)`).run(now);
      }
      const held = live(db, key, now);
      if (!held) {
        db.prepare(`INSERT INTO ${TABLE} (key, task_id, stamp, expires_at) VALUES (?, ?, ?, ?)
          ON CONFLICT(key) DO UPDATE SET task_id = excluded.task_id, stamp = excluded.stamp, expires_at = excluded.expires_at`)
          .run(key, record.taskId, record.stamp, expiresAt);
        return null;
      }
      if (!supersede) return { taskId: held.task_id, stamp: held.stamp };
      db.prepare(`UPDATE ${TABLE} SET stamp = ?, expires_at = ? WHERE key = ?`).run(record.stamp, expiresAt, key);
      return { taskId: held.task_id, stamp: record.stamp };
    });
  }

  /** See {@link Deduplicator.release}. */
  async release(key: string, taskId: string, stamp?: string): Promise<ReleaseOutcome> {
    return this.write(`releasing deduplication key ${key}`, (db, now) => {
      const held = live(db, key, now);
      if (!held || held.task_id !== taskId) return 'absent';
      if (stamp !== undefined && held.stamp !== stamp) return 'superseded';
      db.prepare(`DELETE FROM ${TABLE} WHERE key = ?`).run(key);
      return 'released';
    });
  }

  /** See {@link Deduplicator.get}. */
  async get(key: string): Promise<DeduplicationRecord | null> {
    return this.write(`reading deduplication key ${key}`, (db, now) => {
      const held = live(db, key, now);
      return held ? { taskId: held.task_id, stamp: held.stamp } : null;
    });
  }

  /** See {@link Deduplicator.remove}. */
  async remove(key: string): Promise<boolean> {
    return this.write(`removing deduplication key ${key}`, (db, now) => {
      const held = live(db, key, now);
      db.prepare(`DELETE FROM ${TABLE} WHERE key = ?`).run(key);
      return held !== null;
    });
  }

  /** Runs `op` in an IMMEDIATE transaction, creating the table first; failures become kombu errors. */
  private write<T>(action: string, op: (db: Database.Database, now: number) => T): T {
    try {
      const db = this.db();
      if (!this.ready) {
        db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, task_id TEXT NOT NULL, stamp TEXT NOT NULL, expires_at INTEGER NOT NULL);
          CREATE INDEX IF NOT EXISTS ${TABLE}_expires ON ${TABLE} (expires_at)`);
        this.ready = true;
      }
      return db.transaction(() => op(db, Date.now())).immediate();
    } catch (err) {
      throw toTransportError(err, action, this.file);
    }
  }
}

/** The row of `key` unless it expired. */
function live(db: Database.Database, key: string, now: number): Row | null {
  const row = db.prepare(`SELECT task_id, stamp, expires_at FROM ${TABLE} WHERE key = ?`).get(key) as Row | undefined;
  return row && row.expires_at > now ? row : null;
}
