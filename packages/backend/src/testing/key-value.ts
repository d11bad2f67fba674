/**
 * `describeKeyValueInterop(name, options)`: what a key-value result backend (S3, DynamoDB, …) must
 * show against Python Celery's own backend of the same kind on the same store, on top of
 * {@link import('./index.js').describeBackend}:
 *
 * - Python reads what cq stored: a SUCCESS with nested data, its group and parent ids and the
 *   extended fields, a FAILURE as the builtin exception class (a class Python does not know, by
 *   name), a STARTED, a saved group as a `GroupResult`; Python's `forget()` removes what cq stored;
 * - cq reads what Python stored: a SUCCESS with its group, parent and extended fields, a FAILURE
 *   (the exception dict and a RemoteTaskError), a RETRY, a saved group, several at once.
 *
 * The caller runs Python (this package needs no test tooling): `runPython(script, args)` resolves
 * with the stdout of `/usr/bin/python3 -c script ...args`. `python()` gives Python's
 * `result_backend` URL and the settings for its `app.conf` (called in each test, so an emulator
 * started in `beforeAll` can supply its port).
 *
 * ```ts
 * describeKeyValueInterop('s3', {
 *   factory: (options) => new S3Backend({ ...options, settings }),
 *   python: () => ({ url: 's3://', conf: settings }),
 *   runPython: databaseInteropPython(['celery', 'boto3']),
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { kombuJson } from '@cq/kombu';
import type { Backend, BackendOptions } from '../backend.js';
import { cqStoresPythonReads, pythonStoresCqReads, type PyMeta } from './interop-scenarios.js';
import { PYTHON_KEY_VALUE_SCRIPT } from './key-value-python.js';

export interface KeyValueInteropOptions {
  /** A new cq backend on the store under test with these options (the suite asks for `extended`). */
  factory: (options: BackendOptions) => Backend | Promise<Backend>;
  /** Python Celery's `result_backend` URL and `app.conf` settings for the same store. */
  python: () => { url: string; conf?: Record<string, unknown> };
  /** Resolves with the stdout of `/usr/bin/python3 -c <script> ...args`; rejects when it fails. */
  runPython: (script: string, args: readonly string[]) => Promise<string>;
}

export function describeKeyValueInterop(name: string, options: KeyValueInteropOptions): void {
  const open: Backend[] = [];
  const backend = async (): Promise<Backend> => {
    const b = await options.factory({ extended: true });
    open.push(b);
    return b;
  };
  const python = async <T>(command: string, arg: unknown): Promise<T> => {
    const { url, conf = {} } = options.python();
    const out = await options.runPython(PYTHON_KEY_VALUE_SCRIPT, [url, JSON.stringify({ result_extended: true, ...conf }), command, kombuJson.stringify(arg)]);
    return kombuJson.parse(out.trim().split('\n').pop() ?? 'null') as T;
  };
  const id = (what: string) => `${what}-${randomUUID()}`;

  describe(`key-value backend interop with Python Celery: ${name}`, () => {
    afterAll(async () => {
      for (const b of open.splice(0)) await b.close();
    });

    it('Python reads what cq stored: a result, failures, extended fields, a group; and forgets it', async () => {
      const b = await backend();
      const read = (ids: string[]) => python<PyMeta[]>('read', ids);
      const { ok, failed } = await cqStoresPythonReads(b, id, read, { group: 'g-cq', parentId: 'p-cq' }, { group_id: 'g-cq', parent_id: 'p-cq' });
      const group = id('group');
      await b.saveGroup(group, [[group, null], [[[ok, null], null], [[failed, null], null]]]);
      expect(await python('restore_group', group)).toEqual({ type: 'GroupResult', id: group, children: [ok, failed] });

      await python('forget', [ok]);
      expect(await b.getTaskMeta(ok)).toMatchObject({ status: 'PENDING', result: null });
    });

    it('cq reads what Python stored: a result with its group and parent, a failure, a retry, a group', async () => {
      const b = await backend();
      const { ok, failed } = await pythonStoresCqReads(b, id, (entries) => python('store', entries),
        { group: 'g-py', parent_id: 'p-py' }, { group_id: 'g-py', parent_id: 'p-py' });
      const group = id('py-group');
      await python('save_group', { group_id: group, children: [ok, failed] });
      expect(await b.restoreGroup(group)).toMatchObject({ group_id: group, result: [[group, null], [[[ok, null], null], [[failed, null], null]]] });
    });
  });
}
