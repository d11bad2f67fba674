/**
 * SQLite as SQLAlchemy's `sqlite` dialect lays out Celery's tables (`sqlite_autoincrement`: `id
 * INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT`), `BLOB` for pickles and args/kwargs, and date_done as
 * SQLAlchemy's DATETIME text, naive UTC with microseconds. A schema is an attached database's name.
 *
 * The SUCCESS rule is one statement: `INSERT … ON CONFLICT (task_id) DO UPDATE … WHERE status IS NOT
 * 'SUCCESS'`; tables are created in an IMMEDIATE transaction.
 */
import { EXTENDED_COLUMN_TYPES, naiveUtc, type RowIds, type SqlDialect } from '../dialect.js';
import type { SqlDriver, SqlQuery } from '../driver.js';
import type { TableRef, TaskColumn, TaskRow, Tables } from '../model.js';

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;
const qualified = (ref: { schema: string | null; name: string }): string => (ref.schema ? `${quote(ref.schema)}.${quote(ref.name)}` : quote(ref.name));

export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  quote,
  param: () => '?',
  table: qualified,
  formatDate: naiveUtc,

  async createTables(query: SqlQuery, tables: Tables, extended: boolean): Promise<RowIds> {
    const extendedColumns = EXTENDED_COLUMN_TYPES('VARCHAR(155)', 'BLOB', 'INTEGER');
    await query(`CREATE TABLE IF NOT EXISTS ${qualified(tables.task)} (
      id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, task_id VARCHAR(155), status VARCHAR(50), result BLOB,
      date_done DATETIME, traceback TEXT,
      ${extendedColumns.map(([name, type]) => `${name} ${type}`).join(', ')},
      UNIQUE (task_id))`);
    await query(`CREATE TABLE IF NOT EXISTS ${qualified(tables.group)} (
      id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, taskset_id VARCHAR(155), result BLOB, date_done DATETIME,
      UNIQUE (taskset_id))`);
    if (extended) await addExtendedColumns(query, tables, extendedColumns);
    return { task: null, group: null };
  },

  async storeTask(query: SqlQuery, table: TableRef, row: TaskRow, columns: readonly TaskColumn[]): Promise<boolean> {
    return (await query(upsertSql(table, columns), [row.task_id, ...columns.map((c) => row[c] ?? null)])).affectedRows > 0;
  },

  /** The rows in one IMMEDIATE transaction: one commit for the batch. */
  storeTasks(driver: SqlDriver, table: TableRef, rows: readonly TaskRow[], columns: readonly TaskColumn[]): Promise<boolean[]> {
    const sql = upsertSql(table, columns);
    return driver.transaction(async (query) => {
      const written: boolean[] = [];
      for (const row of rows) written.push((await query(sql, [row.task_id, ...columns.map((c) => row[c] ?? null)])).affectedRows > 0);
      return written;
    });
  },

  async saveGroup(query: SqlQuery, table: TableRef, groupId: string, result: Buffer, dateDone: string): Promise<void> {
    await query(`INSERT INTO ${qualified(table)} (taskset_id, result, date_done) VALUES (?, ?, ?)
      ON CONFLICT (taskset_id) DO UPDATE SET result = excluded.result, date_done = excluded.date_done`, [groupId, result, dateDone]);
  },
};

const upsertTexts = new Map<string, string>();

/** The "write unless SUCCESS" upsert for `table` and `columns`, built once per pair. */
function upsertSql(table: TableRef, columns: readonly TaskColumn[]): string {
  const key = `${table.schema ?? ''}\0${table.name}\0${columns.join(',')}`;
  let sql = upsertTexts.get(key);
  if (sql === undefined) {
    sql = `INSERT INTO ${qualified(table)} (task_id, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})
      ON CONFLICT (task_id) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}
      WHERE status IS NOT 'SUCCESS'`;
    upsertTexts.set(key, sql);
  }
  return sql;
}

/** Adds the `result_extended` columns a task table made before Celery 4.4 lacks. */
async function addExtendedColumns(query: SqlQuery, tables: Tables, extendedColumns: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const pragma = tables.task.schema ? `${quote(tables.task.schema)}.table_info(${quote(tables.task.name)})` : `table_info(${quote(tables.task.name)})`;
  const { rows } = await query(`PRAGMA ${pragma}`);
  const present = new Set(rows.map((r) => String(r['name'])));
  for (const [name, type] of extendedColumns) {
    if (!present.has(name)) await query(`ALTER TABLE ${qualified(tables.task)} ADD COLUMN ${name} ${type}`);
  }
}
