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
import { kombuJson, parseIsoDate } from '@cq/kombu';
import type { Backend, BackendOptions } from '../backend.js';
import { RemoteTaskError } from '../exceptions.js';
import { PYTHON_KEY_VALUE_SCRIPT } from './key-value-python.js';

export interface KeyValueInteropOptions {
  /** A new cq backend on the store under test with these options (the suite asks for `extended`). */
  factory: (options: BackendOptions) => Backend | Promise<Backend>;
  /** Python Celery's `result_backend` URL and `app.conf` settings for the same store. */
  python: () => { url: string; conf?: Record<string, unknown> };
  /** Resolves with the stdout of `/usr/bin/python3 -c <script> ...args`; rejects when it fails. */
  runPython: (script: string, args: readonly string[]) => Promise<string>;
}

type PyMeta = {
  task_id: string; status: string; result: unknown; traceback: string | null; date_done: string | null; group_id: string | null; parent_id: string | null;
  name: string | null; args: unknown; kwargs: unknown; worker: string | null; retries: number | null; queue: string | null;
};

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
      const [ok, failed, custom, started] = [id('ok'), id('failed'), id('custom'), id('started')];
      const value = { list: [1, 2.5, 'three', null, true, false], nested: { deep: [{ x: -1 }] }, empty: {}, text: 'héllo ✓ 日本', big: 2n ** 70n };
      const before = Date.now();
      await b.markAsDone(ok, value, {
        task: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, hostname: 'w1@host', retries: 2, deliveryInfo: { routingKey: 'celery' }, group: 'g-cq', parentId: 'p-cq',
      });
      await b.markAsFailure(failed, new TypeError('bad arg'), 'Traceback (most recent call last): ...');
      class QuotaExceeded extends Error {}
      await b.markAsFailure(custom, new QuotaExceeded('too many'));
      await b.markAsStarted(started, { pid: 4242, hostname: 'w1@host' });
      const group = id('group');
      await b.saveGroup(group, [[group, null], [[[ok, null], null], [[failed, null], null]]]);

      const [okMeta, failedMeta, customMeta, startedMeta] = await python<PyMeta[]>('read', [ok, failed, custom, started]);
      expect(okMeta).toMatchObject({
        status: 'SUCCESS', result: value, traceback: null, group_id: 'g-cq', parent_id: 'p-cq',
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
      expect(await python('restore_group', group)).toEqual({ type: 'GroupResult', id: group, children: [ok, failed] });

      await python('forget', [ok]);
      expect(await b.getTaskMeta(ok)).toMatchObject({ status: 'PENDING', result: null });
    });

    it('cq reads what Python stored: a result with its group and parent, a failure, a retry, a group', async () => {
      const [ok, failed, retry] = [id('py-ok'), id('py-failed'), id('py-retry')];
      const value = { list: [1, 2.5, 'three', null, true], nested: { deep: [{ x: -1 }] }, text: 'héllo ✓', big: 2n ** 70n };
      await python('store', [
        { id: ok, state: 'SUCCESS', result: value, request: { task: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, hostname: 'py@host', retries: 1, delivery_info: { routing_key: 'celery' }, group: 'g-py', parent_id: 'p-py' } },
        { id: failed, state: 'FAILURE', exception: { type: 'ValueError', args: ['bad', 3] }, traceback: 'Traceback (Python)' },
        { id: retry, state: 'RETRY', exception: { type: 'KeyError', args: ['k'] } },
      ]);
      const group = id('py-group');
      await python('save_group', { group_id: group, children: [ok, failed] });
      const b = await backend();
      expect(await b.getTaskMeta(ok)).toMatchObject({
        status: 'SUCCESS', result: value, traceback: null, group_id: 'g-py', parent_id: 'p-py',
        name: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, worker: 'py@host', retries: 1, queue: 'celery', task_id: ok,
      });
      const failure = await b.getTaskMeta(failed);
      expect(failure).toMatchObject({
        status: 'FAILURE', result: { exc_type: 'ValueError', exc_message: ['bad', 3], exc_module: 'builtins' }, traceback: 'Traceback (Python)',
      });
      expect(parseIsoDate(failure.date_done!).getTime()).toBeGreaterThan(Date.now() - 120_000);
      const err = await b.getResult(failed);
      expect(err).toBeInstanceOf(RemoteTaskError);
      expect(err).toMatchObject({ name: 'ValueError', excMessage: ['bad', 3], traceback: 'Traceback (Python)' });
      expect(await b.getTaskMeta(retry)).toMatchObject({ status: 'RETRY', result: { exc_type: 'KeyError', exc_message: ['k'] }, date_done: null });
      expect((await b.getManyTaskMeta([ok, failed, id('none')])).map((m) => m.status)).toEqual(['SUCCESS', 'FAILURE', 'PENDING']);
      expect(await b.restoreGroup(group)).toMatchObject({ group_id: group, result: [[group, null], [[[ok, null], null], [[failed, null], null]]] });
    });
  });
}
