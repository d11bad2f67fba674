/**
 * SQLite result backend: Celery's database backend (`celery/backends/database/__init__.py`) on one
 * SQLite file that any number of processes on one machine share (WAL mode, `busy_timeout`).
 *
 * URL: `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `db+sqlite://…` alike,
 * `sqlite://` for `.cq/results.db`, `sqlite://:memory:` for a private in-memory database (tests).
 * The parent directory is created.
 *
 * Storage: the `celery_taskmeta` / `celery_tasksetmeta` tables (see `schema.ts`). `result`, `args`
 * and `kwargs` hold result-serializer bytes (json by default); Python Celery pickles `result`, so the
 * two do not share rows yet (args/kwargs are compatible). As in Celery, the tables have no place for
 * `children`, `group_id` or `parent_id`: they read back as `[]`/absent.
 *
 * A stored SUCCESS is kept by the upsert itself (`… DO UPDATE … WHERE status IS NOT 'SUCCESS'`), so
 * the dedup holds across processes. `waitFor` polls (1 ms doubling to `interval`, default 100 ms);
 * writes from this process wake waiters at once. `cleanup()` deletes rows whose date_done is older
 * than `expires` seconds.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  Backend, BackendConfigurationError, BackendGetMetaError, type BackendOptions, type GroupMeta, type TaskMeta,
} from '@cq/backend';
import { DEFAULT_TABLE_NAMES, EXTENDED_COLUMNS, ensureSchema, quote, type TableNames } from './schema.js';
import { MEMORY, databasePath } from './url.js';

export interface SqliteBackendOptions extends BackendOptions {
  /** Database file (absolute, relative to the working directory, or `:memory:`); overrides `url`. */
  filename?: string;
  /** Milliseconds a write waits for another process's lock (SQLite `busy_timeout`). Default 5000. */
  busyTimeout?: number;
  /** Table names (Celery `database_table_names`). Default `celery_taskmeta` / `celery_tasksetmeta`. */
  tableNames?: Partial<TableNames>;
}

interface TaskRow {
  task_id: string;
  status: string;
  result: Buffer | null;
  date_done: string | null;
  traceback: string | null;
  name: string | null;
  args: Buffer | null;
  kwargs: Buffer | null;
  worker: string | null;
  retries: number | null;
  queue: string | null;
}

interface GroupRow {
  taskset_id: string;
  result: Buffer | null;
  date_done: string | null;
}

export class SqliteBackend extends Backend {
  /** Absolute database path, or `:memory:`. */
  readonly filename: string;
  readonly tableNames: TableNames;
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof statements>;

  /** @throws BackendConfigurationError for a bad URL or a database that cannot be opened. */
  constructor(options: SqliteBackendOptions = {}) {
    super(options);
    this.filename = options.filename ? resolveFilename(options.filename) : databasePath(options.url ?? 'sqlite://');
    this.tableNames = { ...DEFAULT_TABLE_NAMES, ...options.tableNames };
    const busyTimeout = Math.max(0, Math.floor(options.busyTimeout ?? 5000));
    let db: Database.Database | undefined;
    try {
      if (this.filename !== MEMORY) mkdirSync(dirname(this.filename), { recursive: true });
      db = new Database(this.filename, { timeout: busyTimeout });
      db.pragma('journal_mode = WAL');
      db.pragma(`busy_timeout = ${busyTimeout}`);
      db.pragma('synchronous = NORMAL');
      ensureSchema(db, this.tableNames);
    } catch (err) {
      db?.close();
      throw new BackendConfigurationError(
        `cannot open the SQLite result database ${this.filename}: ${(err as Error).message}; choose a writable file path`,
        { cause: err },
      );
    }
    this.#db = db;
    this.#sql = statements(db, this.tableNames);
  }

  /** The registry's factory: `sqlite:///path.db`, `sqlite:////abs/path.db`, `db+sqlite://…`. */
  static fromUrl(url: string, options: SqliteBackendOptions = {}): SqliteBackend {
    return new SqliteBackend({ ...options, url });
  }

  /** Celery `_store_result` + `_update_result`, as one conditional upsert. */
  protected async _storeResult(taskId: string, meta: TaskMeta): Promise<boolean> {
    const row = {
      task_id: taskId,
      status: meta.status,
      result: this.encode(meta.result),
      date_done: meta.date_done === null ? null : this.sqlDate(this.parseDate(meta.date_done)),
      traceback: meta.traceback,
    };
    const info = this.extended
      ? this.#sql.upsertExtended.run({
        ...row,
        name: meta.name ?? null,
        args: meta.args == null ? null : this.encode(meta.args),
        kwargs: meta.kwargs == null ? null : this.encode(meta.kwargs),
        worker: meta.worker ?? null,
        retries: meta.retries ?? null,
        queue: meta.queue ?? null,
      })
      : this.#sql.upsert.run(row);
    return info.changes > 0;
  }

  /** Celery `_get_task_meta_for` (Task/TaskExtended `to_dict`, args/kwargs decoded). */
  protected async _getTaskMetaFor(taskId: string): Promise<TaskMeta | null> {
    const row = this.#sql.getTask.get(taskId) as TaskRow | undefined;
    if (!row) return null;
    const meta: Record<string, unknown> = {
      status: row.status,
      result: this.decodeColumn(row.result, taskId),
      traceback: row.traceback,
      children: [],
      date_done: isoDate(row.date_done),
    };
    if (this.extended) {
      meta.name = row.name;
      meta.args = this.decodeColumn(row.args, taskId);
      meta.kwargs = this.decodeColumn(row.kwargs, taskId);
      meta.worker = row.worker;
      meta.retries = row.retries;
      meta.queue = row.queue;
    }
    meta.task_id = row.task_id;
    return meta as unknown as TaskMeta;
  }

  protected async _forget(taskId: string): Promise<void> {
    this.#sql.deleteTask.run(taskId);
  }

  /** Celery `_save_group` (a second save of the same id replaces the first). */
  protected async _saveGroup(groupId: string, result: unknown): Promise<void> {
    this.#sql.upsertGroup.run({ taskset_id: groupId, result: this.encode(result), date_done: this.sqlDate(this.now()) });
  }

  protected async _restoreGroup(groupId: string): Promise<GroupMeta | null> {
    const row = this.#sql.getGroup.get(groupId) as GroupRow | undefined;
    if (!row) return null;
    return { group_id: row.taskset_id, result: this.decodeColumn(row.result, groupId), date_done: isoDate(row.date_done) };
  }

  protected async _deleteGroup(groupId: string): Promise<void> {
    this.#sql.deleteGroup.run(groupId);
  }

  /** Celery `DatabaseBackend.cleanup`: rows whose date_done is older than `expires`. */
  protected async _cleanup(): Promise<void> {
    if (this.expires === null) return;
    const cutoff = this.sqlDate(new Date(this.now().getTime() - this.expires * 1000));
    this.#db.transaction(() => {
      this.#sql.cleanupTasks.run(cutoff);
      this.#sql.cleanupGroups.run(cutoff);
    })();
  }

  protected override async _close(): Promise<void> {
    this.#db.close();
  }

  /** Backends on the same file wake each other's waiters in this process. */
  protected override wakeScope(): string {
    return this.filename === MEMORY ? super.wakeScope() : `sqlite:${this.filename}`;
  }

  /** SQLAlchemy's SQLite DATETIME text, naive UTC: `YYYY-MM-DD HH:MM:SS.ffffff`. */
  private sqlDate(date: Date): string {
    return `${date.toISOString().slice(0, 23).replace('T', ' ')}000`;
  }

  private decodeColumn(value: Buffer | string | null, id: string): unknown {
    if (value === null) return null;
    if (Buffer.isBuffer(value) && value[0] === 0x80) {
      throw new BackendGetMetaError(
        `the row of ${id} holds a Python pickle (written by Python Celery's database backend), which cq cannot read yet`,
        { taskId: id },
      );
    }
    return this.decode(value);
  }
}

function statements(db: Database.Database, tables: TableNames) {
  const task = quote(tables.task);
  const group = quote(tables.group);
  const base = ['status', 'result', 'date_done', 'traceback'];
  const extended = [...base, ...EXTENDED_COLUMNS.map(([name]) => name)];
  const upsert = (columns: string[]) => db.prepare(
    `INSERT INTO ${task} (task_id, ${columns.join(', ')}) VALUES (@task_id, ${columns.map((c) => `@${c}`).join(', ')})
     ON CONFLICT (task_id) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}
     WHERE ${task}.status IS NOT 'SUCCESS'`,
  );
  return {
    upsert: upsert(base),
    upsertExtended: upsert(extended),
    getTask: db.prepare(`SELECT task_id, ${extended.join(', ')} FROM ${task} WHERE task_id = ?`),
    deleteTask: db.prepare(`DELETE FROM ${task} WHERE task_id = ?`),
    upsertGroup: db.prepare(
      `INSERT INTO ${group} (taskset_id, result, date_done) VALUES (@taskset_id, @result, @date_done)
       ON CONFLICT (taskset_id) DO UPDATE SET result = excluded.result, date_done = excluded.date_done`,
    ),
    getGroup: db.prepare(`SELECT taskset_id, result, date_done FROM ${group} WHERE taskset_id = ?`),
    deleteGroup: db.prepare(`DELETE FROM ${group} WHERE taskset_id = ?`),
    cleanupTasks: db.prepare(`DELETE FROM ${task} WHERE date_done < ?`),
    cleanupGroups: db.prepare(`DELETE FROM ${group} WHERE date_done < ?`),
  };
}

function resolveFilename(filename: string): string {
  return filename === MEMORY ? MEMORY : resolve(filename);
}

/** A stored DATETIME as Python's naive `isoformat()` (`T` between date and time). */
function isoDate(text: string | null): string | null {
  return text === null ? null : text.replace(/^(\d{4}-\d\d-\d\d) /, '$1T');
}
