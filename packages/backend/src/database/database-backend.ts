/**
 * The database template (Celery `celery/backends/database/__init__.py` `DatabaseBackend`): results in
 * Celery's `celery_taskmeta` / `celery_tasksetmeta` tables, readable and writable by Python Celery's
 * database backend on the same database. A package fills in a {@link SqlDriver} over its Node driver
 * and picks the {@link SqlDialect}; everything else is here.
 *
 * - **Tables** are created on first use, as SQLAlchemy's `create_all` would (`model.ts`, `dialects/`),
 *   named by `database_table_names` / `database_table_schemas`.
 * - **`result`** holds the pickle Python's `PickleType` stores (`result-cell.ts`): written byte for
 *   byte as CPython would, read by a safe reader that refuses anything but plain values
 *   (UnsafePickleError; nothing is executed). Cells written by earlier cq versions (JSON) still read.
 * - **args / kwargs** (with `result_extended`) hold the result serializer's bytes, as in Celery.
 * - **date_done** is naive UTC; it reads back as naive ISO text (`2026-11-22T05:55:20.378000`).
 * - A stored **SUCCESS** is never replaced, atomically (see each dialect).
 * - Results stored in one event-loop turn are **written together** (`store-batch.ts`): one
 *   transaction on SQLite, one multi-row upsert on PostgreSQL.
 * - As in Celery, the tables have no place for `children`, `group_id` or `parent_id`: they read
 *   back as `[]`/absent. Chords go through `celery.chord_unlock` (the base's `applyChord`).
 * - **`cleanup()`** deletes task and group rows whose date_done is older than `expires` (Celery's
 *   `DatabaseBackend.cleanup`, run by the `celery.backend_cleanup` task beat schedules daily).
 *   Rows are never hidden before that: the database does not expire them itself.
 * - `waitFor` polls (1 ms doubling to `interval`); a write from this process wakes its waiters at once.
 */
import { Backend } from '../backend.js';
import { BackendGetMetaError } from '../errors.js';
import type { GroupMeta, TaskMeta } from '../types.js';
import { naiveUtc, type RowIds, type SqlDialect } from './dialect.js';
import type { SqlDriver } from './driver.js';
import { EXTENDED_COLUMNS, TASK_COLUMNS, tablesFor, type TaskColumn, type TaskRow, type Tables } from './model.js';
import { decodeGroupResult, decodeTaskResult, encodeGroupResult, encodeTaskResult } from './result-cell.js';
import { databaseSettings, type DatabaseBackendOptions } from './settings.js';
import { StoreBatch } from './store-batch.js';

/** The columns of `TaskExtended` (`result_extended`) besides id and task_id. */
const ALL_COLUMNS: readonly TaskColumn[] = [...TASK_COLUMNS, ...EXTENDED_COLUMNS];

/** The driver and dialect a database backend package gives the template. */
export interface DatabaseConnection {
  driver: SqlDriver;
  dialect: SqlDialect;
}

export class DatabaseBackend extends Backend {
  /** The tables in use (names, schemas, sequences). */
  readonly tables: Tables;
  readonly dialect: SqlDialect;
  protected readonly driver: SqlDriver;
  #ready: Promise<RowIds> | null = null;
  /** Rows stored in one turn, written together. */
  readonly #batch = new StoreBatch((rows) => this.writeRows(rows));

  /**
   * @param connection the package's driver and dialect; the driver is closed by {@link close}.
   * @throws BackendConfigurationError for a bad serializer or `expires` (see Backend).
   */
  constructor(options: DatabaseBackendOptions, connection: DatabaseConnection) {
    super(options);
    const settings = databaseSettings(options);
    this.tables = tablesFor(settings.database_table_names, settings.database_table_schemas);
    this.dialect = connection.dialect;
    this.driver = connection.driver;
  }

  /** The database backend does not expire rows itself (Celery `supports_autoexpire = False`): beat schedules `celery.backend_cleanup`. */
  override get supportsAutoexpire(): boolean {
    return false;
  }

  /**
   * Creates the tables when missing, once, before the first statement (Celery `prepare_models`);
   * resolves with how each table's ids are assigned.
   */
  protected ready(): Promise<RowIds> {
    if (!this.#ready) {
      this.#ready = this.driver.transaction((query) => this.dialect.createTables(query, this.tables, this.extended));
      this.#ready.catch(() => { this.#ready = null; });
    }
    return this.#ready;
  }

  // ---------------------------------------------------------------------------------------- tasks

  /** Celery `_store_result` + `_update_result`: the meta's columns, unless the row is SUCCESS. */
  protected async _storeResult(taskId: string, meta: TaskMeta): Promise<boolean> {
    const row: TaskRow = {
      task_id: taskId,
      status: meta.status,
      result: encodeTaskResult(meta.result, meta.status),
      date_done: meta.date_done === null ? null : this.dialect.formatDate(this.parseDate(meta.date_done)),
      traceback: meta.traceback,
    };
    if (this.extended) {
      Object.assign(row, {
        name: meta.name ?? null,
        args: meta.args == null ? null : this.encode(meta.args),
        kwargs: meta.kwargs == null ? null : this.encode(meta.kwargs),
        worker: meta.worker ?? null,
        retries: meta.retries ?? null,
        queue: meta.queue ?? null,
      });
    }
    return this.#batch.add(row);
  }

  /** Writes one batch of rows with distinct task ids (see {@link StoreBatch}); which were written. */
  private async writeRows(rows: readonly TaskRow[]): Promise<boolean[]> {
    const ids = await this.ready();
    const columns: readonly TaskColumn[] = this.extended ? ALL_COLUMNS : TASK_COLUMNS;
    if (rows.length > 1 && this.dialect.storeTasks) return this.dialect.storeTasks(this.driver, this.tables.task, rows, columns, ids.task);
    return Promise.all(rows.map((row) => this.dialect.storeTask(this.driver.query, this.tables.task, row, columns, ids.task)));
  }

  /** Celery `_get_task_meta_for`: `Task.to_dict()` (or `TaskExtended`'s), args/kwargs decoded. */
  protected async _getTaskMetaFor(taskId: string): Promise<TaskMeta | null> {
    return (await this._getManyTaskMeta([taskId]))[0] ?? null;
  }

  protected override async _getManyTaskMeta(taskIds: readonly string[]): Promise<(TaskMeta | null)[]> {
    if (taskIds.length === 0) return [];
    await this.ready();
    const columns = this.extended ? ALL_COLUMNS : TASK_COLUMNS;
    const unique = [...new Set(taskIds)];
    const byId = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < unique.length; i += 500) {
      const batch = unique.slice(i, i + 500);
      const { rows } = await this.driver.query(
        `SELECT task_id, ${columns.join(', ')} FROM ${this.dialect.table(this.tables.task)} WHERE task_id IN (${batch.map((_, n) => this.dialect.param(n + 1)).join(', ')})`,
        batch,
      );
      for (const row of rows) byId.set(String(row['task_id']), row);
    }
    return taskIds.map((id) => {
      const row = byId.get(id);
      return row ? this.metaFromRow(row, id) : null;
    });
  }

  protected async _forget(taskId: string): Promise<void> {
    await this.ready();
    await this.driver.query(`DELETE FROM ${this.dialect.table(this.tables.task)} WHERE task_id = ${this.dialect.param(1)}`, [taskId]);
  }

  // ---------------------------------------------------------------------------------------- groups

  /**
   * Celery `_save_group`, stored as the GroupResult Python's `restore_group` gives back. A second save
   * of one id replaces the first (Celery's insert would fail on the unique key).
   */
  protected async _saveGroup(groupId: string, result: unknown): Promise<void> {
    const ids = await this.ready();
    const dateDone = this.dialect.formatDate(this.now());
    await this.dialect.saveGroup(this.driver.query, this.tables.group, groupId, encodeGroupResult(result), dateDone, ids.group);
  }

  /** Celery `_restore_group`: the saved result tuple, from Python's GroupResult pickle or cq's. */
  protected async _restoreGroup(groupId: string): Promise<GroupMeta | null> {
    await this.ready();
    const { rows } = await this.driver.query(
      `SELECT taskset_id, result, date_done FROM ${this.dialect.table(this.tables.group)} WHERE taskset_id = ${this.dialect.param(1)}`, [groupId],
    );
    const row = rows[0];
    if (!row) return null;
    const cell = bytes(row['result']);
    return {
      group_id: String(row['taskset_id']),
      result: cell === null ? null : this.readCell(() => decodeGroupResult(cell, (b) => this.decode(b)), groupId),
      date_done: isoDate(row['date_done']),
    };
  }

  protected async _deleteGroup(groupId: string): Promise<void> {
    await this.ready();
    await this.driver.query(`DELETE FROM ${this.dialect.table(this.tables.group)} WHERE taskset_id = ${this.dialect.param(1)}`, [groupId]);
  }

  /** Celery `DatabaseBackend.cleanup`: task and group rows whose date_done is before now − expires. */
  protected async _cleanup(): Promise<void> {
    if (this.expires === null) return;
    await this.ready();
    // Microseconds even where date_done has whole seconds (MySQL): the comparison stays exact.
    const cutoff = naiveUtc(new Date(this.now().getTime() - this.expires * 1000));
    const before = `date_done < ${this.dialect.param(1)}`;
    await this.driver.query(`DELETE FROM ${this.dialect.table(this.tables.task)} WHERE ${before}`, [cutoff]);
    await this.driver.query(`DELETE FROM ${this.dialect.table(this.tables.group)} WHERE ${before}`, [cutoff]);
  }

  protected override async _close(): Promise<void> {
    await this.driver.close();
  }

  /** Backends on one database and table wake each other's waiters in this process. */
  protected override wakeScope(): string {
    return `db:${this.driver.identity}#${this.dialect.table(this.tables.task)}`;
  }

  // ---------------------------------------------------------------------------------------- rows

  private metaFromRow(row: Record<string, unknown>, taskId: string): TaskMeta {
    const cell = bytes(row['result']);
    const meta: Record<string, unknown> = {
      status: row['status'] ?? 'PENDING',
      result: cell === null ? null : this.readCell(() => decodeTaskResult(cell, (b) => this.decode(b)), taskId),
      traceback: row['traceback'] ?? null,
      children: [],
      date_done: isoDate(row['date_done']),
    };
    if (this.extended) {
      const args = bytes(row['args']);
      const kwargs = bytes(row['kwargs']);
      meta.name = row['name'] ?? null;
      meta.args = args === null ? null : this.decode(args);
      meta.kwargs = kwargs === null ? null : this.decode(kwargs);
      meta.worker = row['worker'] ?? null;
      meta.retries = row['retries'] == null ? null : Number(row['retries']);
      meta.queue = row['queue'] ?? null;
    }
    meta.task_id = String(row['task_id'] ?? taskId);
    return meta as unknown as TaskMeta;
  }

  /** Runs a cell decoder; errors keep their cq code, and get the id they were about. */
  private readCell(decode: () => unknown, id: string): unknown {
    try {
      return decode();
    } catch (err) {
      if (err instanceof BackendGetMetaError) {
        Object.defineProperty(err, 'taskId', { value: id });
        err.message = `${err.message} (row of ${id})`;
      }
      throw err;
    }
  }
}

/** A bytes column as a Buffer (drivers may give a Buffer, a Uint8Array or, for SQLite TEXT, a string). */
function bytes(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(String(value), 'utf8');
}

/** A DateTime column's text (`2026-11-22 05:55:20.378000`) as naive ISO (`2026-11-22T05:55:20.378000`). */
function isoDate(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().replace('Z', '');
  return String(value).replace(/^(\d{4}-\d\d-\d\d) /, '$1T');
}
