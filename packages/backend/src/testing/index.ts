/**
 * `describeBackend(name, factory)`: the conformance suite every cq result backend runs. The factory
 * returns a new backend on the store under test, given option overrides (the suite asks for
 * `{ extended: true }` and a short `expires`); two backends from one factory must share the store.
 * Every test uses fresh task ids, so stores need no cleanup between tests.
 *
 * ```ts
 * describeBackend('sqlite', (options) => new SqliteBackend({ ...options, url: `sqlite:///${file}` }));
 * ```
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, BackendOptions } from '../backend.js';
import { BackendClosedError, TimeoutError, WaitAbortedError } from '../errors.js';
import { RemoteTaskError } from '../exceptions.js';
import { parseIsoDate } from '@cq/kombu';
import type { ResultTuple } from '../types.js';

export type BackendTestFactory = (options?: BackendOptions) => Backend | Promise<Backend>;

export interface DescribeBackendOptions {
  /**
   * Whether `group_id`, `parent_id` and `children` survive a round trip. Default true; false for
   * Celery's database layout, whose tables have no columns for them (the suite then checks that
   * they read back absent).
   */
  storesRelations?: boolean;
  /** `expires` (seconds) used by the cleanup test; it waits 1.2 × this. Default 1. */
  shortExpires?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeBackend(name: string, factory: BackendTestFactory, options: DescribeBackendOptions = {}): void {
  const storesRelations = options.storesRelations ?? true;
  const shortExpires = options.shortExpires ?? 1;
  const open: Backend[] = [];
  const make = async (overrides?: BackendOptions): Promise<Backend> => {
    const backend = await factory(overrides);
    open.push(backend);
    return backend;
  };
  const id = () => randomUUID();

  describe(`result backend conformance: ${name}`, () => {
    afterEach(async () => {
      for (const backend of open.splice(0)) await backend.close();
    });

    it('reads an unknown task as PENDING with a null result', async () => {
      const backend = await make();
      const taskId = id();
      expect(await backend.getTaskMeta(taskId)).toEqual({
        status: 'PENDING', result: null, traceback: null, children: [], date_done: null, task_id: taskId,
      });
      expect(await backend.getState(taskId)).toBe('PENDING');
      expect(await backend.getResult(taskId)).toBeNull();
    });

    it('stores and reads SUCCESS with nested data and a date_done', async () => {
      const backend = await make();
      const taskId = id();
      const result = { list: [1, 2.5, 'three', null, true], nested: { deep: { deeper: [{ x: -1 }] } }, empty: {} };
      const before = Date.now();
      expect(await backend.markAsDone(taskId, result)).toBe(true);
      const meta = await backend.getTaskMeta(taskId);
      expect(meta).toMatchObject({ status: 'SUCCESS', result, traceback: null, children: [], task_id: taskId });
      expect(typeof meta.date_done).toBe('string');
      const done = parseIsoDate(meta.date_done!).getTime();
      expect(done).toBeGreaterThanOrEqual(before - 1000);
      expect(done).toBeLessThanOrEqual(Date.now() + 1000);
      expect(await backend.getResult(taskId)).toEqual(result);
    });

    it('stores FAILURE as an exception dict and reads it back as a RemoteTaskError', async () => {
      const backend = await make();
      const taskId = id();
      await backend.markAsFailure(taskId, new TypeError('bad arg'), 'Traceback (most recent call last): ...');
      const meta = await backend.getTaskMeta(taskId);
      expect(meta.status).toBe('FAILURE');
      expect(meta.result).toEqual({ exc_type: 'TypeError', exc_message: ['bad arg'], exc_module: 'builtins' });
      expect(meta.traceback).toBe('Traceback (most recent call last): ...');
      expect(meta.date_done).not.toBeNull();
      const err = await backend.getResult(taskId);
      expect(err).toBeInstanceOf(RemoteTaskError);
      expect(err).toMatchObject({ name: 'TypeError', message: 'bad arg', excType: 'TypeError', excModule: 'builtins', excMessage: ['bad arg'] });
      expect((err as RemoteTaskError).traceback).toBe('Traceback (most recent call last): ...');

      class QuotaExceeded extends Error {}
      const other = id();
      await backend.markAsFailure(other, new QuotaExceeded('too many'));
      expect((await backend.getTaskMeta(other)).result).toEqual({ exc_type: 'QuotaExceeded', exc_message: ['too many'], exc_module: null });
    });

    it('stores STARTED and RETRY as not ready, without a date_done', async () => {
      const backend = await make();
      const taskId = id();
      await backend.markAsStarted(taskId, { pid: 4242, hostname: 'w1@host' });
      expect(await backend.getTaskMeta(taskId)).toMatchObject({ status: 'STARTED', result: { pid: 4242, hostname: 'w1@host' }, date_done: null });
      await expect(backend.waitFor(taskId, { timeout: 0.03 })).rejects.toBeInstanceOf(TimeoutError);
      await backend.markAsRetry(taskId, new Error('try again'), 'tb');
      expect(await backend.getTaskMeta(taskId)).toMatchObject({
        status: 'RETRY', result: { exc_type: 'Exception', exc_message: ['try again'], exc_module: 'builtins' }, traceback: 'tb', date_done: null,
      });
    });

    it('stores REVOKED as a TaskRevokedError and counts it as ready', async () => {
      const backend = await make();
      const taskId = id();
      await backend.markAsRevoked(taskId, 'expired');
      const meta = await backend.waitFor(taskId, { timeout: 1 });
      expect(meta.status).toBe('REVOKED');
      expect(meta.result).toEqual({ exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' });
    });

    it('waitFor resolves when another backend on the same store stores the result', async () => {
      const waiter = await make();
      const writer = await make();
      const taskId = id();
      await writer.markAsStarted(taskId, { pid: 1, hostname: 'w' });
      const waiting = waiter.waitFor(taskId, { timeout: 10, interval: 0.05 });
      await sleep(30);
      await writer.markAsDone(taskId, { answer: 42 });
      const meta = await waiting;
      expect(meta.status).toBe('SUCCESS');
      expect(meta.result).toEqual({ answer: 42 });
      // A ready task resolves at once, failures included.
      const failed = id();
      await writer.markAsFailure(failed, new RangeError('out of range'));
      expect((await waiter.waitFor(failed, { timeout: 1 })).result).toMatchObject({ exc_type: 'ValueError' });
    });

    it('waitFor times out with CQ_BACKEND_TIMEOUT and stops on abort', async () => {
      const backend = await make();
      const err = await backend.waitFor(id(), { timeout: 0.06, interval: 0.01 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).code).toBe('CQ_BACKEND_TIMEOUT');
      expect((err as TimeoutError).timeoutMs).toBe(60);
      const controller = new AbortController();
      const waiting = backend.waitFor(id(), { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('stop')), 20);
      await expect(waiting).rejects.toBeInstanceOf(WaitAbortedError);
    });

    it('never overwrites a stored SUCCESS', async () => {
      const backend = await make();
      const other = await make();
      const taskId = id();
      await backend.markAsDone(taskId, 'first');
      expect(await other.markAsFailure(taskId, new Error('late failure'))).toBe(false);
      expect(await backend.markAsStarted(taskId, { pid: 1 })).toBe(false);
      expect(await backend.getTaskMeta(taskId)).toMatchObject({ status: 'SUCCESS', result: 'first' });
      // Other states may be replaced.
      const second = id();
      await backend.markAsStarted(second, { pid: 1 });
      await backend.markAsFailure(second, new Error('x'));
      expect(await backend.getState(second)).toBe('FAILURE');
    });

    it('forgets a task', async () => {
      const backend = await make();
      const taskId = id();
      await backend.markAsDone(taskId, 1);
      await backend.forget(taskId);
      expect(await backend.getTaskMeta(taskId)).toMatchObject({ status: 'PENDING', result: null });
      await backend.forget(id()); // forgetting an unknown task is fine
    });

    it('saves, restores and deletes a group result tuple', async () => {
      const backend = await make();
      const groupId = id();
      const tuple: ResultTuple = [[groupId, null], [[[id(), null], null], [[id(), null], null]]];
      expect(await backend.restoreGroup(groupId)).toBeNull();
      await backend.saveGroup(groupId, { asTuple: () => tuple });
      const restored = await (await make()).restoreGroup(groupId);
      expect(restored).toMatchObject({ group_id: groupId, result: tuple });
      await backend.deleteGroup(groupId);
      expect(await backend.restoreGroup(groupId)).toBeNull();
    });

    it('round-trips unicode text, big integers and NaN', async () => {
      const backend = await make();
      const taskId = id();
      const text = 'héllo wörld ✓ 日本語 🎉 \u0000 "quoted" \\ back';
      const big = 2n ** 70n + 1n;
      await backend.markAsDone(taskId, { text, big, negative: -big, small: 7, nan: Number.NaN, inf: -Infinity });
      const result = (await backend.getTaskMeta(taskId)).result as Record<string, unknown>;
      expect(result.text).toBe(text);
      expect(result.big).toBe(big);
      expect(result.negative).toBe(-big);
      expect(result.small).toBe(7);
      expect(result.nan).toBeNaN();
      expect(result.inf).toBe(-Infinity);
      const failed = id();
      await backend.markAsFailure(failed, new Error('ünïcödé ✗'));
      expect(await backend.getResult(failed)).toMatchObject({ message: 'ünïcödé ✗' });
    });

    it('stores the extended fields with result_extended', async () => {
      const backend = await make({ extended: true });
      const taskId = id();
      await backend.markAsDone(taskId, 5, {
        task: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, hostname: 'w1@host', retries: 2,
        deliveryInfo: { routingKey: 'celery' },
      });
      expect(await backend.getTaskMeta(taskId)).toMatchObject({
        status: 'SUCCESS', result: 5, name: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, worker: 'w1@host', retries: 2, queue: 'celery',
      });
      const plain = await make();
      const other = id();
      await plain.markAsDone(other, 5, { task: 'tasks.add', args: [1] });
      expect(await plain.getTaskMeta(other)).not.toHaveProperty('args');
    });

    it(storesRelations ? 'stores group_id, parent_id and children' : 'keeps no group_id, parent_id or children (no columns for them)', async () => {
      const backend = await make();
      const taskId = id();
      const child: ResultTuple = [[id(), null], null];
      await backend.markAsDone(taskId, 1, { group: 'g-1', parentId: 'p-1', children: [child, { asTuple: () => child }] });
      const meta = await backend.getTaskMeta(taskId);
      if (storesRelations) {
        expect(meta).toMatchObject({ group_id: 'g-1', parent_id: 'p-1', children: [child, child] });
      } else {
        expect(meta).toMatchObject({ status: 'SUCCESS', result: 1 });
        expect(meta).not.toHaveProperty('group_id');
        expect(meta).not.toHaveProperty('parent_id');
        expect(meta.children ?? []).toEqual([]);
      }
    });

    it('reads several tasks at once', async () => {
      const backend = await make();
      const [a, b] = [id(), id()];
      await backend.markAsDone(a, 'A');
      const metas = await backend.getManyTaskMeta([a, b]);
      expect(metas.map((m) => [m.task_id, m.status, m.result])).toEqual([[a, 'SUCCESS', 'A'], [b, 'PENDING', null]]);
    });

    it('cleanup removes results older than expires and keeps newer ones', async () => {
      const backend = await make({ expires: shortExpires });
      const [old, fresh] = [id(), id()];
      await backend.markAsDone(old, 'old');
      await sleep(shortExpires * 1200);
      await backend.markAsDone(fresh, 'fresh');
      await backend.cleanup();
      expect(await backend.getState(old)).toBe('PENDING');
      expect(await backend.getTaskMeta(fresh)).toMatchObject({ status: 'SUCCESS', result: 'fresh' });
    });

    it('refuses to work after close', async () => {
      const backend = await factory();
      await backend.close();
      await backend.close();
      await expect(backend.getTaskMeta(id())).rejects.toBeInstanceOf(BackendClosedError);
    });
  });
}

export { describeDatabaseBackend, type DatabaseSuiteOptions } from './database.js';
export { PYTHON_DATABASE_SCRIPT } from './database-python.js';
export { describeKeyValueInterop, type KeyValueInteropOptions } from './key-value.js';
export { PYTHON_KEY_VALUE_SCRIPT } from './key-value-python.js';
