/**
 * PostgreSQL as SQLAlchemy's `postgresql` dialect lays out Celery's tables: `BYTEA` for pickles and
 * args/kwargs, `TIMESTAMP WITHOUT TIME ZONE` for date_done, and `id` taken from the sequences
 * `task_id_sequence` / `taskset_id_sequence` (in the table's schema), which SQLAlchemy creates
 * beside the tables and calls `nextval` on for each insert; the tables have no id default.
 *
 * Tables are created under a transaction-scoped advisory lock, so processes starting together do
 * not race. The SUCCESS rule is one statement: `INSERT … ON CONFLICT (task_id) DO UPDATE … WHERE
 * status IS DISTINCT FROM 'SUCCESS'`.
 */
import { EXTENDED_COLUMN_TYPES, naiveUtc, type RowIds, type SqlDialect } from '../dialect.js';
import type { SqlQuery } from '../driver.js';
import type { TableRef, TaskColumn, TaskRow, Tables } from '../model.js';

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;
const qualified = (schema: string | null, name: string): string => (schema ? `${quote(schema)}.${quote(name)}` : quote(name));
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const nextval = (ref: TableRef): string => `nextval(${literal(qualified(ref.schema, ref.sequence))})`;

/** Key of the advisory lock taken while creating tables (any constant; "cq.db" in ASCII). */
const DDL_LOCK_KEY = 0x63712e6462;

export const POSTGRESQL_DIALECT: SqlDialect = {
  name: 'postgresql',
  quote,
  param: (n) => `$${n}`,
  table: (ref) => qualified(ref.schema, ref.name),
  formatDate: naiveUtc,

  async createTables(query: SqlQuery, tables: Tables, extended: boolean): Promise<RowIds> {
    await query(`SELECT pg_advisory_xact_lock(${DDL_LOCK_KEY})`);
    const extendedColumns = EXTENDED_COLUMN_TYPES('VARCHAR(155)', 'BYTEA', 'INTEGER');
    await query(`CREATE SEQUENCE IF NOT EXISTS ${qualified(tables.task.schema, tables.task.sequence)}`);
    await query(`CREATE TABLE IF NOT EXISTS ${qualified(tables.task.schema, tables.task.name)} (
      id INTEGER NOT NULL, task_id VARCHAR(155), status VARCHAR(50), result BYTEA,
      date_done TIMESTAMP WITHOUT TIME ZONE, traceback TEXT,
      ${extendedColumns.map(([name, type]) => `${name} ${type}`).join(', ')},
      PRIMARY KEY (id), UNIQUE (task_id))`);
    await query(`CREATE SEQUENCE IF NOT EXISTS ${qualified(tables.group.schema, tables.group.sequence)}`);
    await query(`CREATE TABLE IF NOT EXISTS ${qualified(tables.group.schema, tables.group.name)} (
      id INTEGER NOT NULL, taskset_id VARCHAR(155), result BYTEA, date_done TIMESTAMP WITHOUT TIME ZONE,
      PRIMARY KEY (id), UNIQUE (taskset_id))`);
    if (extended) {
      for (const [name, type] of extendedColumns) {
        await query(`ALTER TABLE ${qualified(tables.task.schema, tables.task.name)} ADD COLUMN IF NOT EXISTS ${name} ${type}`);
      }
    }
    return { task: nextval(tables.task), group: nextval(tables.group) };
  },

  async storeTask(query: SqlQuery, table: TableRef, row: TaskRow, columns: readonly TaskColumn[], id: string | null): Promise<boolean> {
    const values = columns.map((c) => row[c] ?? null);
    const sql = `INSERT INTO ${qualified(table.schema, table.name)} AS cq_t (id, task_id, ${columns.join(', ')})
      VALUES (${id ?? nextval(table)}, $1, ${columns.map((_, i) => `$${i + 2}`).join(', ')})
      ON CONFLICT (task_id) DO UPDATE SET ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
      WHERE cq_t.status IS DISTINCT FROM 'SUCCESS'`;
    return (await query(sql, [row.task_id, ...values])).affectedRows > 0;
  },

  async saveGroup(query: SqlQuery, table: TableRef, groupId: string, result: Buffer, dateDone: string, id: string | null): Promise<void> {
    await query(`INSERT INTO ${qualified(table.schema, table.name)} (id, taskset_id, result, date_done)
      VALUES (${id ?? nextval(table)}, $1, $2, $3)
      ON CONFLICT (taskset_id) DO UPDATE SET result = EXCLUDED.result, date_done = EXCLUDED.date_done`, [groupId, result, dateDone]);
  },
};
