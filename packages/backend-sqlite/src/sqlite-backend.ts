/**
 * SQLite result backend: Celery's database backend (`celery/backends/database/__init__.py`) on one
 * SQLite file that any number of processes on one machine share (WAL mode, `busy_timeout`), and that
 * Python Celery's `db+sqlite://` backend reads and writes too. It is cq's embedded default
 * (`sqlite:///.cq/results.db`).
 *
 * URL: `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `db+sqlite://…` alike,
 * `sqlite://` for `.cq/results.db`, `sqlite://:memory:` for a private in-memory database (tests).
 * The parent directory is created.
 *
 * Storage (@cq/backend `DatabaseBackend`): the `celery_taskmeta` / `celery_tasksetmeta` tables as
 * SQLAlchemy creates them; `result` holds the pickle Python's `PickleType` stores, read by the safe
 * reader. Files written by cq 0.1, whose `result` cells hold JSON, still read (a cell is a pickle
 * only when it starts with 0x80); new writes are pickles. As in Celery, the tables have no place for
 * `children`, `group_id` or `parent_id`. `waitFor` polls (1 ms doubling to `interval`, default 0.1 s);
 * writes from this process wake waiters at once. `cleanup()` deletes rows whose date_done is older
 * than `expires` seconds.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BackendConfigurationError, DatabaseBackend, SQLITE_DIALECT, type DatabaseBackendOptions } from '@cq/backend';
import { SqliteDriver } from './driver.js';
import { MEMORY, databasePath } from './url.js';

export interface SqliteBackendOptions extends DatabaseBackendOptions {
  /** Database file (absolute, relative to the working directory, or `:memory:`); overrides `url`. */
  filename?: string;
  /** Milliseconds a write waits for another process's lock (SQLite `busy_timeout`). Default 5000. */
  busyTimeout?: number;
}

let memoryDatabases = 0;

export class SqliteBackend extends DatabaseBackend {
  /** Absolute database path, or `:memory:`. */
  readonly filename: string;
  /** The connection (closed by `close()`). */
  readonly db: Database.Database;

  /** @throws SqliteUrlError for a bad URL; BackendConfigurationError for a database that cannot be opened. */
  constructor(options: SqliteBackendOptions = {}) {
    const filename = options.filename ? resolveFilename(options.filename) : databasePath(options.url ?? 'sqlite://');
    const db = open(filename, Math.max(0, Math.floor(options.busyTimeout ?? 5000)));
    const identity = filename === MEMORY ? `sqlite::memory:${++memoryDatabases}` : `sqlite:${filename}`;
    try {
      super(options, { driver: new SqliteDriver(db, identity), dialect: SQLITE_DIALECT });
    } catch (err) {
      db.close();
      throw err;
    }
    this.filename = filename;
    this.db = db;
  }

  /** The registry's factory: `sqlite:///path.db`, `sqlite:////abs/path.db`, `db+sqlite://…`. */
  static fromUrl(url: string, options: SqliteBackendOptions = {}): SqliteBackend {
    return new SqliteBackend({ ...options, url });
  }
}

function open(filename: string, busyTimeout: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (filename !== MEMORY) mkdirSync(dirname(filename), { recursive: true });
    db = new Database(filename, { timeout: busyTimeout });
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${busyTimeout}`);
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (err) {
    db?.close();
    throw new BackendConfigurationError(
      `cannot open the SQLite result database ${filename}: ${(err as Error).message}; choose a writable file path`,
      { cause: err },
    );
  }
}

function resolveFilename(filename: string): string {
  return filename === MEMORY ? MEMORY : resolve(filename);
}
