/**
 * The tables of Celery's database backend (`celery/backends/database/models.py`), created when
 * missing. Column names and meanings are Celery's; SQLite ignores the declared lengths.
 *
 * - `celery_taskmeta`: id, task_id (unique), status, result (BLOB), date_done, traceback and the
 *   `result_extended` columns name, args (BLOB), kwargs (BLOB), worker, retries, queue.
 * - `celery_tasksetmeta`: id, taskset_id (unique), result (BLOB), date_done.
 *
 * `date_done` is text in SQLAlchemy's SQLite DATETIME form, naive UTC: `2026-11-22 05:55:20.378000`.
 */
import type Database from 'better-sqlite3';

/** Table names (Celery `database_table_names`). */
export interface TableNames {
  /** Default `celery_taskmeta`. */
  task: string;
  /** Default `celery_tasksetmeta`. */
  group: string;
}

export const DEFAULT_TABLE_NAMES: TableNames = { task: 'celery_taskmeta', group: 'celery_tasksetmeta' };

/** The columns Celery's `TaskExtended` adds; a table Python created without them gets them added. */
export const EXTENDED_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['name', 'VARCHAR(155)'], ['args', 'BLOB'], ['kwargs', 'BLOB'], ['worker', 'VARCHAR(155)'],
  ['retries', 'INTEGER'], ['queue', 'VARCHAR(155)'],
];

export const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

/** Creates the tables (and missing extended columns) in one IMMEDIATE transaction. */
export function ensureSchema(db: Database.Database, tables: TableNames): void {
  const task = quote(tables.task);
  const group = quote(tables.group);
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${task} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id VARCHAR(155) UNIQUE,
        status VARCHAR(50) DEFAULT 'PENDING',
        result BLOB,
        date_done DATETIME,
        traceback TEXT,
        ${EXTENDED_COLUMNS.map(([name, type]) => `${name} ${type}`).join(',\n        ')}
      );
      CREATE TABLE IF NOT EXISTS ${group} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        taskset_id VARCHAR(155) UNIQUE,
        result BLOB,
        date_done DATETIME
      );
    `);
    const present = new Set((db.pragma(`table_info(${task})`) as { name: string }[]).map((c) => c.name));
    for (const [name, type] of EXTENDED_COLUMNS) {
      if (!present.has(name)) db.exec(`ALTER TABLE ${task} ADD COLUMN ${name} ${type}`);
    }
  }).immediate();
}
