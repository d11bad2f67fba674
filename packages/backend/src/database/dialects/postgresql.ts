/**
 * PostgreSQL as SQLAlchemy's `postgresql` dialect lays out Celery's tables: `BYTEA` for pickles and
 * args/kwargs, `TIMESTAMP WITHOUT TIME ZONE` for date_done, and `id` taken from the sequences
 * `task_id_sequence` / `taskset_id_sequence` (in the table's schema), which SQLAlchemy creates
 * beside the tables and calls `nextval` on for each insert; the tables have no id default.
 *
 * Tables are created under a transaction-scoped advisory lock, so processes starting together do
 * not race. The SUCCESS rule is one statement: `INSERT … ON CONFLICT (task_id) DO UPDATE … WHERE
 * status IS DISTINCT FROM 'SUCCESS'`, which also NOTIFYs each written task id ({@link resultChannel}).
 */
import { EXTENDED_COLUMN_TYPES, naiveUtc, type RowIds, type SqlDialect } from '../dialect.js';
import type { SqlDriver, SqlQuery } from '../driver.js';
import type { TableRef, TaskColumn, TaskRow, Tables } from '../model.js';

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;
const qualified = (schema: string | null, name: string): string => (schema ? `${quote(schema)}.${quote(name)}` : quote(name));
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const nextval = (ref: TableRef): string => `nextval(${literal(qualified(ref.schema, ref.sequence))})`;

const upsertTexts = new Map<string, string>();

/**
 * The channel a task table's writes are announced on: every row written sends `NOTIFY "<channel>",
 * '<task id>'` at commit, so a waiter LISTENing (@cq/backend-postgres) wakes at once instead of at
 * its next poll. Python Celery's writes send nothing; waiters still poll for those.
 */
export function resultChannel(table: TableRef): string {
  return `cq_result:${table.schema ?? ''}.${table.name}`;
}

/**
 * The "write unless SUCCESS" upsert of `count` rows for `table` and `columns`, built once per shape.
 * It returns the task ids it wrote, and announces each on {@link resultChannel}.
 */
function upsertSql(table: TableRef, columns: readonly TaskColumn[], id: string | null, count: number): string {
  const key = `${table.schema ?? ''}\0${table.name}\0${columns.join(',')}\0${id ?? ''}\0${count}`;
  let sql = upsertTexts.get(key);
  if (sql === undefined) {
    const width = columns.length + 1;
    const tuples = Array.from({ length: count }, (_, r) =>
      `(${id ?? nextval(table)}, ${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
    sql = `WITH written AS (INSERT INTO ${qualified(table.schema, table.name)} AS cq_t (id, task_id, ${columns.join(', ')})
      VALUES ${tuples.join(', ')}
      ON CONFLICT (task_id) DO UPDATE SET ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
      WHERE cq_t.status IS DISTINCT FROM 'SUCCESS' RETURNING cq_t.task_id)
      SELECT task_id, pg_notify(${literal(resultChannel(table))}, task_id) FROM written`;
    if (upsertTexts.size < 1024) upsertTexts.set(key, sql);
  }
  return sql;
}

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
    return (await query(upsertSql(table, columns, id, 1), [row.task_id, ...values])).rows.length > 0;
  },

  /** One multi-row upsert; it returns the ids of the rows written (not those kept as SUCCESS). */
  async storeTasks(driver: SqlDriver, table: TableRef, rows: readonly TaskRow[], columns: readonly TaskColumn[], id: string | null): Promise<boolean[]> {
    const params: (string | number | Buffer | null)[] = [];
    for (const row of rows) params.push(row.task_id, ...columns.map((c) => row[c] ?? null));
    const { rows: returned } = await driver.query(upsertSql(table, columns, id, rows.length), params);
    const written = new Set(returned.map((r) => String(r['task_id'])));
    return rows.map((row) => written.has(row.task_id));
  },

  async saveGroup(query: SqlQuery, table: TableRef, groupId: string, result: Buffer, dateDone: string, id: string | null): Promise<void> {
    await query(`INSERT INTO ${qualified(table.schema, table.name)} (id, taskset_id, result, date_done)
      VALUES (${id ?? nextval(table)}, $1, $2, $3)
      ON CONFLICT (taskset_id) DO UPDATE SET result = EXCLUDED.result, date_done = EXCLUDED.date_done`, [groupId, result, dateDone]);
  },
};
