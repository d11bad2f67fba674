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
import { kombuJson, parseIsoDate } from '@cq/kombu';
import type { Backend } from '../backend.js';
import { UnsafePickleError } from '../errors.js';
import type { DatabaseBackendOptions } from '../database/settings.js';
import { PYTHON_DATABASE_SCRIPT } from './database-python.js';

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

type PyMeta = {
  task_id: string; status: string; result: unknown; result_type: string; traceback: string | null; date_done: string | null;
  name: string | null; args: unknown; kwargs: unknown; worker: string | null; retries: number | null; queue: string | null;
};

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
      const [ok, failed, custom, started] = [id('ok'), id('failed'), id('custom'), id('started')];
      const value = { list: [1, 2.5, 'three', null, true, false], nested: { deep: { deeper: [{ x: -1 }] } }, empty: {}, text: 'héllo ✓ 日本', big: 2n ** 70n };
      const before = Date.now();
      await b.markAsDone(ok, value, { task: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, hostname: 'w1@host', retries: 2, deliveryInfo: { routingKey: 'celery' } });
      await b.markAsFailure(failed, new TypeError('bad arg'), 'Traceback (most recent call last): ...');
      class QuotaExceeded extends Error {}
      await b.markAsFailure(custom, new QuotaExceeded('too many'));
      await b.markAsStarted(started, { pid: 4242, hostname: 'w1@host' });
      const group = id('group');
      await b.saveGroup(group, [[group, null], [[[ok, null], null], [[failed, null], null]]]);

      const [okMeta, failedMeta, customMeta, startedMeta] = await python<PyMeta[]>('read', [ok, failed, custom, started]);
      expect(okMeta).toMatchObject({
        status: 'SUCCESS', result: value, result_type: 'dict', traceback: null,
        name: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, worker: 'w1@host', retries: 2, queue: 'celery',
      });
      const done = parseIsoDate(okMeta!.date_done!).getTime();
      expect(done).toBeGreaterThanOrEqual(before - 1500);
      expect(done).toBeLessThanOrEqual(Date.now() + 1500);
      expect(failedMeta).toMatchObject({
        status: 'FAILURE', result: { exc_class: 'TypeError', exc_module: 'builtins', args: ['bad arg'] },
        traceback: 'Traceback (most recent call last): ...',
      });
      expect(customMeta).toMatchObject({ status: 'FAILURE', result: { exc_class: 'QuotaExceeded', args: ['too many'] } });
      expect(startedMeta).toMatchObject({ status: 'STARTED', result: { pid: 4242, hostname: 'w1@host' }, date_done: null });
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
      const [ok, failed, retry] = [id('py-ok'), id('py-failed'), id('py-retry')];
      const value = { list: [1, 2.5, 'three', null, true], nested: { deep: [{ x: -1 }] }, text: 'héllo ✓', big: 2n ** 70n };
      await python('store', [
        { id: ok, state: 'SUCCESS', result: value, request: { task: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, hostname: 'py@host', retries: 1, delivery_info: { routing_key: 'celery' } } },
        { id: failed, state: 'FAILURE', exception: { type: 'ValueError', args: ['bad', 3] }, traceback: 'Traceback (Python)' },
        { id: retry, state: 'RETRY', exception: { type: 'KeyError', args: ['k'] } },
      ]);
      const group = id('py-group');
      await python('save_group', { group_id: group, children: [ok, failed] });
      const b = await backend();
      expect(await b.getTaskMeta(ok)).toMatchObject({
        status: 'SUCCESS', result: value, traceback: null, children: [],
        name: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, worker: 'py@host', retries: 1, queue: 'celery', task_id: ok,
      });
      const failure = await b.getTaskMeta(failed);
      expect(failure).toMatchObject({
        status: 'FAILURE', result: { exc_type: 'ValueError', exc_message: ['bad', 3], exc_module: 'builtins' }, traceback: 'Traceback (Python)',
      });
      expect(parseIsoDate(failure.date_done!).getTime()).toBeGreaterThan(Date.now() - 120_000);
      expect(await b.getResult(failed)).toMatchObject({ name: 'ValueError', message: 'bad, 3', excMessage: ['bad', 3] });
      expect(await b.getTaskMeta(retry)).toMatchObject({ status: 'RETRY', result: { exc_type: 'KeyError', exc_message: ['k'] }, date_done: null });
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
