/**
 * MySQL and MariaDB as SQLAlchemy's `mysql` dialect lays out Celery's tables: `BLOB` for pickles and
 * args/kwargs (so, as in Celery, a value is at most 64 KiB; `ALTER TABLE … MODIFY result LONGBLOB`
 * lifts that for both Python and cq), and `DATETIME` without fractional seconds for date_done
 * (written truncated to the second; MySQL would round).
 *
 * The id follows what SQLAlchemy does with the model's `Sequence('task_id_sequence')` on this server:
 * on MariaDB ≥ 10.3, which has sequences, it creates `task_id_sequence` / `taskset_id_sequence`, an
 * `id INTEGER NOT NULL` without AUTO_INCREMENT, and inserts `NEXTVAL(task_id_sequence)`; on MySQL,
 * `AUTO_INCREMENT`. A table that already exists is taken as it is: AUTO_INCREMENT when its `id` has
 * it, else the sequence (created when missing).
 *
 * MySQL has no conditional upsert that reports what it did, so the SUCCESS rule is: `UPDATE … WHERE
 * task_id = ? AND status is not SUCCESS` (rows matched, with the FOUND_ROWS client flag); when no row
 * matched, `INSERT`; when that hits the unique key (another writer inserted first), the UPDATE once
 * more. Each step is atomic, so a stored SUCCESS is never replaced.
 */
import { EXTENDED_COLUMN_TYPES, type RowIds, type SqlDialect } from '../dialect.js';
import type { SqlQuery } from '../driver.js';
import type { TableRef, TaskColumn, TaskRow, Tables } from '../model.js';

const quote = (identifier: string): string => `\`${identifier.replace(/`/g, '``')}\``;
const qualified = (ref: { schema: string | null; name: string }): string => (ref.schema ? `${quote(ref.schema)}.${quote(ref.name)}` : quote(ref.name));

/** The MySQL error of a duplicate unique key (`ER_DUP_ENTRY`). */
const ER_DUP_ENTRY = 1062;

/** True for MariaDB 10.3 or later (`SELECT VERSION()` is e.g. `10.11.19-MariaDB-0+deb12u1`). */
function hasSequences(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return /mariadb/i.test(version) && !!m && (Number(m[1]) > 10 || (Number(m[1]) === 10 && Number(m[2]) >= 3));
}

/** Creates one table (and its sequence where SQLAlchemy would) unless it exists; resolves with its id expression. */
async function ensureTable(query: SqlQuery, ref: TableRef, sequences: boolean, columns: string): Promise<string | null> {
  const nextval = `NEXTVAL(${qualified({ schema: ref.schema, name: ref.sequence })})`;
  const { rows } = await query(
    "SELECT extra AS extra FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND column_name = 'id'",
    [ref.schema, ref.name],
  );
  if (rows.length > 0) {
    if (/auto_increment/i.test(String(rows[0]!['extra'] ?? rows[0]!['EXTRA'] ?? ''))) return null;
    if (sequences) await query(`CREATE SEQUENCE IF NOT EXISTS ${qualified({ schema: ref.schema, name: ref.sequence })}`);
    return nextval;
  }
  if (sequences) await query(`CREATE SEQUENCE IF NOT EXISTS ${qualified({ schema: ref.schema, name: ref.sequence })}`);
  await query(`CREATE TABLE IF NOT EXISTS ${qualified(ref)} (id INTEGER NOT NULL${sequences ? '' : ' AUTO_INCREMENT'}, ${columns})`);
  return sequences ? nextval : null;
}

export const MYSQL_DIALECT: SqlDialect = {
  name: 'mysql',
  quote,
  param: () => '?',
  table: qualified,
  /** `YYYY-MM-DD HH:MM:SS`: the column has no fractional seconds. */
  formatDate: (date) => date.toISOString().slice(0, 19).replace('T', ' '),

  async createTables(query: SqlQuery, tables: Tables, extended: boolean): Promise<RowIds> {
    const version = String(Object.values((await query('SELECT VERSION() AS version')).rows[0] ?? {})[0] ?? '');
    const sequences = hasSequences(version);
    const extendedColumns = EXTENDED_COLUMN_TYPES('VARCHAR(155)', 'BLOB', 'INTEGER');
    const task = await ensureTable(query, tables.task, sequences, `task_id VARCHAR(155), status VARCHAR(50), result BLOB,
      date_done DATETIME, traceback TEXT, ${extendedColumns.map(([name, type]) => `${name} ${type}`).join(', ')},
      PRIMARY KEY (id), UNIQUE (task_id)`);
    const group = await ensureTable(query, tables.group, sequences, `taskset_id VARCHAR(155), result BLOB, date_done DATETIME,
      PRIMARY KEY (id), UNIQUE (taskset_id)`);
    if (extended) {
      const { rows } = await query(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?',
        [tables.task.schema, tables.task.name],
      );
      const present = new Set(rows.map((r) => String(r['name'] ?? r['NAME']).toLowerCase()));
      for (const [name, type] of extendedColumns) {
        if (!present.has(name)) await query(`ALTER TABLE ${qualified(tables.task)} ADD COLUMN ${name} ${type}`);
      }
    }
    return { task, group };
  },

  async storeTask(query: SqlQuery, table: TableRef, row: TaskRow, columns: readonly TaskColumn[], id: string | null): Promise<boolean> {
    const values = columns.map((c) => row[c] ?? null);
    const update = (): Promise<number> => query(
      `UPDATE ${qualified(table)} SET ${columns.map((c) => `${c} = ?`).join(', ')}
       WHERE task_id = ? AND (status IS NULL OR status <> 'SUCCESS')`,
      [...values, row.task_id],
    ).then((r) => r.affectedRows);
    if ((await update()) > 0) return true;
    try {
      await query(
        `INSERT INTO ${qualified(table)} (${id ? 'id, ' : ''}task_id, ${columns.join(', ')}) VALUES (${id ? `${id}, ` : ''}?, ${columns.map(() => '?').join(', ')})`,
        [row.task_id, ...values],
      );
      return true;
    } catch (err) {
      if ((err as { errno?: unknown }).errno !== ER_DUP_ENTRY) throw err;
      return (await update()) > 0;
    }
  },

  async saveGroup(query: SqlQuery, table: TableRef, groupId: string, result: Buffer, dateDone: string, id: string | null): Promise<void> {
    await query(`INSERT INTO ${qualified(table)} (${id ? 'id, ' : ''}taskset_id, result, date_done) VALUES (${id ? `${id}, ` : ''}?, ?, ?)
      ON DUPLICATE KEY UPDATE result = VALUES(result), date_done = VALUES(date_done)`, [groupId, result, dateDone]);
  },
};
