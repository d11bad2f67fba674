/**
 * `describeDatabaseBackend(name, options)`: what every database result backend (PostgreSQL, MySQL,
 * SQLite) must show against Python Celery's own `DatabaseBackend` on the same database, on top of
 * {@link import('./index.js').describeBackend}:
 *
 * - the tables cq creates are the tables SQLAlchemy creates (columns, types, keys, as SQLAlchemy's
 *   inspector reports them);
 * - Python reads what cq stored (SUCCESS with nested data, FAILURE as the exception class, STARTED,
 *   the extended fields, a saved group as a `GroupResult`), and the `result` cell is byte for byte
 *   `pickle.dumps(value, 5)`;
 * - cq reads what Python stored (the same kinds, the exception raised in Python, a saved group);
 * - a hostile cell (a pickle that runs `touch <file>` through `os.system`) is refused with
 *   UnsafePickleError in both tables and the file is not created, while Python's `pickle.loads` of the
 *   same cells does create it (so the payload was live).
 *
 * The caller runs Python (so this package needs no test tooling): `runPython(script, args)` resolves
 * with the stdout of `/usr/bin/python3 -c script ...args`, where Celery, SQLAlchemy and the
 * database's Python driver import. Tables are `<prefix>_cq_*` and `<prefix>_py_*`, dropped afterwards.
 *
 * ```ts
 * describeDatabaseBackend('postgresql', {
 *   factory: (options) => new PostgresBackend({ ...options, url }),
 *   pythonUrl: 'db+postgresql://postgres@127.0.0.1/test',
 *   prefix: 'cqt_pg_interop',
 *   runPython: (script, args) => execPython(['-c', script, ...args]),
 * });
 * ```
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { kombuJson } from '@cq/kombu';
import type { Backend } from '../backend.js';
import { UnsafePickleError } from '../errors.js';
import type { DatabaseBackendOptions } from '../database/settings.js';
import { PYTHON_DATABASE_SCRIPT } from './database-python.js';
import { cqStoresPythonReads, pythonStoresCqReads, type PyMeta } from './interop-scenarios.js';

export interface DatabaseSuiteOptions {
  /** A new backend on the database under test with these options (the suite sets `tableNames`). */
  factory: (options: DatabaseBackendOptions) => Backend | Promise<Backend>;
  /** The same database as Python Celery's `result_backend` URL (`db+mysql+pymysql://…`). */
  pythonUrl: string;
  /** Resolves with the stdout of `/usr/bin/python3 -c <script> ...args`; rejects when it fails. */
  runPython: (script: string, args: readonly string[]) => Promise<string>;
  /** Prefix of the tables this suite creates; unique per test file so files can run in parallel. */
  prefix: string;
}

export function describeDatabaseBackend(name: string, options: DatabaseSuiteOptions): void {
  const cq = { task: `${options.prefix}_cq_task`, group: `${options.prefix}_cq_group` };
  const py = { task: `${options.prefix}_py_task`, group: `${options.prefix}_py_group` };
  const open: Backend[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'cq-db-interop-'));
  const backend = async (): Promise<Backend> => {
    const b = await options.factory({ tableNames: cq, extended: true });
    open.push(b);
    return b;
  };
  /** Runs one command of the Python script on cq's tables (or `tables`), returning its JSON answer. */
  const python = async <T>(command: string, arg: unknown, tables = cq): Promise<T> => {
    const out = await options.runPython(PYTHON_DATABASE_SCRIPT, [options.pythonUrl, tables.task, tables.group, command, kombuJson.stringify(arg)]);
    return kombuJson.parse(out.trim().split('\n').pop() ?? 'null') as T;
  };
  const id = (what: string) => `${what}-${randomUUID()}`;

  describe(`database backend interop with Python Celery: ${name}`, () => {
    afterAll(async () => {
      for (const b of open.splice(0)) await b.close();
      await python('drop', [cq.task, cq.group, py.task, py.group]);
      rmSync(scratch, { recursive: true, force: true });
    });

    it('creates the tables SQLAlchemy creates for Celery', async () => {
      await (await backend()).getTaskMeta(id('create'));
      await python('read', [id('create')], py);
      const described = await python<Record<string, unknown>>('tables', [cq.task, cq.group, py.task, py.group]);
      expect(described[cq.task]).toEqual(described[py.task]);
      expect(described[cq.group]).toEqual(described[py.group]);
      expect((described[cq.task] as { columns: string[][] }).columns.map((c) => c[0])).toEqual(
        ['id', 'task_id', 'status', 'result', 'date_done', 'traceback', 'name', 'args', 'kwargs', 'worker', 'retries', 'queue']);
      expect(described[cq.task]).toMatchObject({ primary_key: ['id'], unique: [['task_id']] });
      expect(described[cq.group]).toMatchObject({ primary_key: ['id'], unique: [['taskset_id']] });
    });

    it('Python reads what cq stored: results, failures, extended fields, a group', async () => {
      const b = await backend();
      const read = (ids: string[]) => python<PyMeta[]>('read', ids);
      const { ok, failed } = await cqStoresPythonReads(b, id, read, {}, { result_type: 'dict' });
      const group = id('group');
      await b.saveGroup(group, [[group, null], [[[ok, null], null], [[failed, null], null]]]);
      expect(await python('restore_group', group)).toEqual({ type: 'GroupResult', id: group, children: [['AsyncResult', ok], ['AsyncResult', failed]] });
    });

    it('writes the result cell byte for byte as pickle.dumps(value, 5)', async () => {
      const b = await backend();
      const [ok, failed] = [id('bytes-ok'), id('bytes-failed')];
      const value = { a: 'x', b: { a: 'x', c: 'abc' }, list: Array.from({ length: 1200 }, (_, i) => i * 1000), f: 0.1, neg: -(2 ** 40) };
      await b.markAsDone(ok, value);
      await b.markAsFailure(failed, new RangeError('out of range'));
      const okCell = await python<{ cell: string; python: string }>('raw', { id: ok, expected: value });
      expect(okCell.cell).toBe(okCell.python);
      const failedCell = await python<{ cell: string; python: string }>('raw', {
        id: failed, expected: { exc_type: 'ValueError', exc_message: ['out of range'], exc_module: 'builtins' }, tuple_exc_message: true,
      });
      expect(failedCell.cell).toBe(failedCell.python);
    });

    it('cq reads what Python stored: results, the raised exception, extended fields, a group', async () => {
      const b = await backend();
      const { ok, failed } = await pythonStoresCqReads(b, id, (entries) => python('store', entries), {}, { children: [] });
      const group = id('py-group');
      await python('save_group', { group_id: group, children: [ok, failed] });
      expect(await b.restoreGroup(group)).toMatchObject({ group_id: group, result: [[group, null], [[[ok, null], null], [[failed, null], null]]] });
    });

    it('refuses a hostile result cell with UnsafePickleError and runs nothing', async () => {
      const [task, group] = [id('hostile'), id('hostile-group')];
      const marker = join(scratch, `pwned-${randomUUID()}`);
      const cell = await python<string>('hostile', { id: task, group_id: group, marker });
      expect(Buffer.from(cell, 'hex').includes(Buffer.from('system'))).toBe(true);
      const b = await backend();
      const err = await b.getTaskMeta(task).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsafePickleError);
      expect(err).toMatchObject({ code: 'CQ_BACKEND_PICKLE_UNSAFE', taskId: task });
      expect((err as UnsafePickleError).opcode).toMatch(/^(STACK_GLOBAL|GLOBAL) /);
      const groupErr = await b.restoreGroup(group).catch((e: unknown) => e);
      expect(groupErr).toBeInstanceOf(UnsafePickleError);
      expect((groupErr as Error).message).toContain('posix.system');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(existsSync(marker)).toBe(false);
      // The payload is live: Python's own unpickler runs it.
      await python('unpickle', { id: task, group_id: group });
      expect(existsSync(marker)).toBe(true);
    });
  });
}
