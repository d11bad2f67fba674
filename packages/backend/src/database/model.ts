/**
 * The table model of Celery's database backend (`celery/backends/database/models.py`): `Task`,
 * `TaskExtended` and `TaskSet`, with the table names and schemas of the `database_table_names` and
 * `database_table_schemas` settings. Each dialect turns it into DDL in `dialects/*.ts`.
 *
 * ```
 * celery_taskmeta     id (sequence task_id_sequence on PostgreSQL), task_id VARCHAR(155) UNIQUE,
 *                     status VARCHAR(50), result <PickleType>, date_done <naive UTC DateTime>,
 *                     traceback TEXT, and (TaskExtended, always created since Celery 4.4)
 *                     name VARCHAR(155), args <bytes>, kwargs <bytes>, worker VARCHAR(155),
 *                     retries INTEGER, queue VARCHAR(155)
 * celery_tasksetmeta  id (sequence taskset_id_sequence), taskset_id VARCHAR(155) UNIQUE,
 *                     result <PickleType>, date_done <naive UTC DateTime>
 * ```
 *
 * `result` holds a pickle (protocol 5) of the value Celery stores; `args`/`kwargs` hold the result
 * serializer's bytes (JSON by default); `date_done` is naive UTC.
 */

/** Table names (Celery `database_table_names`: `{ task, group }`). */
export interface TableNames {
  /** Default `celery_taskmeta`. */
  task: string;
  /** Default `celery_tasksetmeta`. */
  group: string;
}

/** Schemas the tables live in (Celery `database_table_schemas`); null/absent: the connection's default. */
export interface TableSchemas {
  task?: string | null;
  group?: string | null;
}

/** Celery's default table names. */
export const DEFAULT_TABLE_NAMES: Readonly<TableNames> = Object.freeze({ task: 'celery_taskmeta', group: 'celery_tasksetmeta' });

/** A table and the schema it is in; `sequence` is the id sequence's name (used on PostgreSQL). */
export interface TableRef {
  schema: string | null;
  name: string;
  sequence: string;
}

/** Both tables of one backend. */
export interface Tables {
  task: TableRef;
  group: TableRef;
}

/** The columns `Task` has besides `id` and `task_id`, in table order. */
export const TASK_COLUMNS = ['status', 'result', 'date_done', 'traceback'] as const;

/** The columns `TaskExtended` adds (`result_extended`), in table order. */
export const EXTENDED_COLUMNS = ['name', 'args', 'kwargs', 'worker', 'retries', 'queue'] as const;

export type TaskColumn = (typeof TASK_COLUMNS)[number] | (typeof EXTENDED_COLUMNS)[number];

/** One row of the task table as the backend writes it (dialect-ready values). */
export interface TaskRow {
  task_id: string;
  status: string;
  result: Buffer | null;
  date_done: string | null;
  traceback: string | null;
  name?: string | null;
  args?: Buffer | null;
  kwargs?: Buffer | null;
  worker?: string | null;
  retries?: number | null;
  queue?: string | null;
}

/** The tables for the given names and schemas, with Celery's sequence names. */
export function tablesFor(names: Partial<TableNames> = {}, schemas: TableSchemas = {}): Tables {
  return {
    task: { schema: schemas.task ?? null, name: names.task ?? DEFAULT_TABLE_NAMES.task, sequence: 'task_id_sequence' },
    group: { schema: schemas.group ?? null, name: names.group ?? DEFAULT_TABLE_NAMES.group, sequence: 'taskset_id_sequence' },
  };
}
