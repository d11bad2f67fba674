/**
 * Where beat keeps its state between runs (Celery `PersistentScheduler` and its shelve file,
 * `beat_schedule_filename`): per entry the last run time and the number of runs, plus the time zone
 * the state was written under. The interface is @cq/kombu's `ScheduleStore`, so a broker's
 * transport can offer one (PostgreSQL keeps it in its database: see `broker-store.ts`); its methods
 * may answer synchronously or with a promise. The default here is a SQLite file. Writes happen at
 * every run, so a restart neither repeats nor skips a run.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ScheduleEntryState, ScheduleStore } from '@cq/kombu';

export type { ScheduleStore } from '@cq/kombu';
/** Persisted state of one entry (@cq/kombu `ScheduleEntryState`). */
export type EntryState = ScheduleEntryState;

/** A {@link ScheduleStore} in a SQLite file (WAL mode; several processes may share it). */
export class SqliteScheduleStore implements ScheduleStore {
  /** The open database; the SQLite beat lock shares it. */
  readonly db: Database.Database;

  /** @param filename path of the database file; its directory is created. */
  constructor(readonly filename: string) {
    if (filename !== ':memory:') mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS beat_entries (name TEXT PRIMARY KEY, last_run_at INTEGER NOT NULL, total_run_count INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS beat_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS beat_lock (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL);
    `);
  }

  load(): Map<string, EntryState> {
    const rows = this.db.prepare('SELECT name, last_run_at, total_run_count FROM beat_entries').all() as Array<{ name: string; last_run_at: number; total_run_count: number }>;
    return new Map(rows.map((r) => [r.name, { lastRunAt: new Date(r.last_run_at), totalRunCount: r.total_run_count }]));
  }

  save(name: string, state: EntryState): void {
    this.db.prepare('INSERT INTO beat_entries (name, last_run_at, total_run_count) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET last_run_at = excluded.last_run_at, total_run_count = excluded.total_run_count')
      .run(name, state.lastRunAt.getTime(), state.totalRunCount);
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM beat_entries WHERE name = ?').run(name);
  }

  clear(): void {
    this.db.prepare('DELETE FROM beat_entries').run();
  }

  getMeta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM beat_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO beat_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
