/**
 * The two crossings every interop suite of a result backend checks against Python Celery (the
 * database suite, the key-value suite), written once: what cq stores and what Python must read back,
 * and what Python stores and what cq must read back. Each suite supplies its Python runner and the
 * fields its store keeps beyond Celery's `Task` columns (group and parent ids on key-value stores).
 */
import { expect } from 'vitest';
import { parseIsoDate } from '@cq/kombu';
import type { Backend } from '../backend.js';

/** A value with everything JSON and pickle must carry: nesting, floats, unicode, a big int. */
export const SAMPLE_VALUE = {
  list: [1, 2.5, 'three', null, true, false], nested: { deep: { deeper: [{ x: -1 }] } }, empty: {}, text: 'héllo ✓ 日本', big: 2n ** 70n,
};

/** A meta as the Python scripts print it. */
export interface PyMeta {
  task_id: string; status: string; result: unknown; traceback: string | null; date_done: string | null;
  name: string | null; args: unknown; kwargs: unknown; worker: string | null; retries: number | null; queue: string | null;
  [field: string]: unknown;
}

/** Python's `read` command: the metas of `ids`, in order. */
export type ReadInPython = (ids: string[]) => Promise<PyMeta[]>;

/**
 * cq stores a SUCCESS (extended fields, `request` added), a builtin FAILURE, a FAILURE of a class
 * Python does not know and a STARTED; Python reads them back with `read`. `okFields` are further
 * fields the SUCCESS must show on the Python side. Resolves with the ids, for checks of its own.
 */
export async function cqStoresPythonReads(
  b: Backend, id: (what: string) => string, read: ReadInPython, request: Record<string, unknown> = {}, okFields: Record<string, unknown> = {},
): Promise<{ ok: string; failed: string }> {
  const [ok, failed, custom, started] = [id('ok'), id('failed'), id('custom'), id('started')];
  const before = Date.now();
  await b.markAsDone(ok, SAMPLE_VALUE, { task: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, hostname: 'w1@host', retries: 2, deliveryInfo: { routingKey: 'celery' }, ...request });
  await b.markAsFailure(failed, new TypeError('bad arg'), 'Traceback (most recent call last): ...');
  class QuotaExceeded extends Error {}
  await b.markAsFailure(custom, new QuotaExceeded('too many'));
  await b.markAsStarted(started, { pid: 4242, hostname: 'w1@host' });

  const [okMeta, failedMeta, customMeta, startedMeta] = await read([ok, failed, custom, started]);
  expect(okMeta).toMatchObject({
    status: 'SUCCESS', result: SAMPLE_VALUE, traceback: null,
    name: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, worker: 'w1@host', retries: 2, queue: 'celery', ...okFields,
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
  return { ok, failed };
}

/**
 * Python stores a SUCCESS (extended fields, `request` added), a FAILURE raised as ValueError and a
 * RETRY with its `store` command; cq reads them back. `okFields` are further fields the SUCCESS must
 * show on the cq side. Resolves with the ids.
 */
export async function pythonStoresCqReads(
  b: Backend, id: (what: string) => string, store: (entries: unknown[]) => Promise<unknown>,
  request: Record<string, unknown> = {}, okFields: Record<string, unknown> = {},
): Promise<{ ok: string; failed: string }> {
  const [ok, failed, retry] = [id('py-ok'), id('py-failed'), id('py-retry')];
  await store([
    { id: ok, state: 'SUCCESS', result: SAMPLE_VALUE, request: { task: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, hostname: 'py@host', retries: 1, delivery_info: { routing_key: 'celery' }, ...request } },
    { id: failed, state: 'FAILURE', exception: { type: 'ValueError', args: ['bad', 3] }, traceback: 'Traceback (Python)' },
    { id: retry, state: 'RETRY', exception: { type: 'KeyError', args: ['k'] } },
  ]);
  expect(await b.getTaskMeta(ok)).toMatchObject({
    status: 'SUCCESS', result: SAMPLE_VALUE, traceback: null,
    name: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, worker: 'py@host', retries: 1, queue: 'celery', task_id: ok, ...okFields,
  });
  const failure = await b.getTaskMeta(failed);
  expect(failure).toMatchObject({
    status: 'FAILURE', result: { exc_type: 'ValueError', exc_message: ['bad', 3], exc_module: 'builtins' }, traceback: 'Traceback (Python)',
  });
  expect(parseIsoDate(failure.date_done!).getTime()).toBeGreaterThan(Date.now() - 120_000);
  expect(await b.getResult(failed)).toMatchObject({ name: 'ValueError', message: 'bad, 3', excMessage: ['bad', 3], traceback: 'Traceback (Python)' });
  expect(await b.getTaskMeta(retry)).toMatchObject({ status: 'RETRY', result: { exc_type: 'KeyError', exc_message: ['k'] }, date_done: null });
  expect((await b.getManyTaskMeta([ok, failed, id('none')])).map((m) => m.status)).toEqual(['SUCCESS', 'FAILURE', 'PENDING']);
  return { ok, failed };
}
