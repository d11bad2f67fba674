/**
 * The worker continuing canvases (@cq/canvas continuation, Celery `trace.py` / `mark_as_failure`):
 * chains run link by link, link callbacks get the result, errbacks get the failed task's id (or, for
 * a local errback taking more than one parameter, `(request, error, traceback)`), a failing link stops
 * the chain and marks the rest FAILURE, and groups with GroupResult. RabbitMQ queue `cqt.canvas.*` on
 * the default exchange, results in Redis db 2; everything created is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, after_task_publish, createLogger, type TaskRequest } from '@cq/app';
import { GroupResult, chain, group, immutable, signature } from '@cq/canvas';
import { Worker } from '@cq/worker';
import { tearDownCanvas, until } from './helpers.js';
import { testPlugins } from './plugins.js';

const QUEUE = `cqt.canvas.worker.${randomUUID().slice(0, 8)}`;
const published = new Set<string>();
after_task_publish.connect(({ headers, routingKey }) => {
  if (routingKey === QUEUE && typeof headers['id'] === 'string') published.add(headers['id']);
}, { dispatchUid: 'cqt.canvas.worker.cleanup' });

const app = new Celery('canvas', {
  broker_url: 'amqp://guest:guest@127.0.0.1:5672//', result_backend: 'redis://127.0.0.1:6379/2', result_expires: 600,
  task_default_queue: QUEUE, task_default_exchange: '',
}, { plugins: testPlugins() });
app.log = createLogger({ level: 'critical' });

const calls: Array<{ task: string; args: unknown[]; request?: TaskRequest }> = [];
const add = app.task('cqt.add', (x: number, y: number) => x + y);
const mul = app.task('cqt.mul', (x: number, y: number) => x * y);
const fail = app.task('cqt.fail', (x: unknown) => {
  const err = new Error(`bad ${String(x)}`);
  err.name = 'ValueError';
  throw err;
});
const record = app.task('cqt.record', (value: unknown) => {
  calls.push({ task: 'cqt.record', args: [value] });
  return value;
});
/** A "new style" errback (more than one parameter): called in the worker with (request, error, traceback). */
const onError = app.task('cqt.on_error', (request: TaskRequest, error: Error, traceback: string | null) => {
  calls.push({ task: 'cqt.on_error', args: [error.message, typeof traceback], request });
});

let worker: Worker;
beforeAll(async () => {
  worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 10 });
  await worker.start();
});

afterAll(() => tearDownCanvas(worker, app, QUEUE, published, groups));

const groups: string[] = [];

describe('chains', () => {
  it('chain(add(1,2), add(3), mul(4)) runs link by link and gives ((1+2)+3)*4', async () => {
    const r = await chain(signature(add, [1, 2]), signature(add, [3]), signature(mul, [4])).applyAsync();
    expect(await r.get({ timeout: 15 })).toBe(24);
    const last = await r.meta();
    expect(last.parent_id).toEqual(expect.any(String));
    const middle = app.asyncResult(last.parent_id!);
    expect(await middle.get({ timeout: 5 })).toBe(6);
  });

  it('an immutable link ignores the parent result', async () => {
    const r = await chain(signature(add, [1, 2]), immutable(add, [10, 10])).applyAsync();
    expect(await r.get({ timeout: 15 })).toBe(20);
  });

  it('a failing middle link stops the chain and marks the rest FAILURE', async () => {
    const before = calls.length;
    const r = await chain(signature(add, [1, 2]), signature(fail), signature(record)).applyAsync();
    published.add(r.id); // never sent: stored FAILURE by the chain's propagation
    await expect(r.get({ timeout: 15 })).rejects.toMatchObject({ name: 'ValueError', message: expect.stringContaining('bad 3') });
    expect(await r.state()).toBe('FAILURE');
    await new Promise((res) => setTimeout(res, 300));
    expect(calls.slice(before).filter((c) => c.task === 'cqt.record')).toHaveLength(0);
  });
});

describe('link and link_error', () => {
  it('a link callback receives the result', async () => {
    const sig = signature(add, [2, 3]);
    sig.link(signature(record));
    const r = await sig.applyAsync();
    expect(await r.get({ timeout: 15 })).toBe(5);
    expect(await until(() => calls.some((c) => c.task === 'cqt.record' && c.args[0] === 5))).toBe(true);
  });

  it('a one-parameter errback is sent with the failed task id', async () => {
    const sig = signature(fail, ['x']);
    sig.linkError(signature(record));
    const r = await sig.applyAsync();
    await expect(r.get({ timeout: 15 })).rejects.toMatchObject({ name: 'ValueError' });
    expect(await until(() => calls.some((c) => c.task === 'cqt.record' && c.args[0] === r.id))).toBe(true);
  });

  it('an errback taking (request, error, traceback) is called in the worker, as Celery new-style errbacks', async () => {
    const sig = signature(fail, ['y']);
    sig.linkError(signature(onError));
    const r = await sig.applyAsync();
    await expect(r.get({ timeout: 15 })).rejects.toMatchObject({ name: 'ValueError' });
    expect(await until(() => calls.some((c) => c.task === 'cqt.on_error' && c.request?.id === r.id))).toBe(true);
    expect(calls.find((c) => c.request?.id === r.id)!.args).toEqual(['bad y', 'string']);
  });
});

describe('groups', () => {
  it('a group of 10: get, join, completedCount, ready, successful, save and restore', async () => {
    const res = await group(...Array.from({ length: 10 }, (_, i) => signature(add, [i, i]))).applyAsync();
    groups.push(res.id);
    const expected = Array.from({ length: 10 }, (_, i) => 2 * i);
    expect(await res.get({ timeout: 20 })).toEqual(expected);
    expect(await res.join({ timeout: 5 })).toEqual(expected);
    expect(await res.completedCount()).toBe(10);
    expect(await res.ready()).toBe(true);
    expect(await res.successful()).toBe(true);
    expect(await res.failed()).toBe(false);
    for (const r of res.results) expect((await r.meta()).group_id).toBe(res.id);
    await res.save();
    const back = await GroupResult.restore(res.id, app);
    expect(await back!.get({ timeout: 5 })).toEqual(expected);
  });

  it('a group with a failing member: failed(), and join without propagate returns the error in place', async () => {
    const res = await group(signature(add, [1, 1]), signature(fail, ['z'])).applyAsync();
    await expect(res.get({ timeout: 15 })).rejects.toMatchObject({ name: 'ValueError' });
    expect(await res.failed()).toBe(true);
    expect(await res.successful()).toBe(false);
    expect(await res.completedCount()).toBe(1);
    const values = await res.join({ timeout: 5, propagate: false });
    expect(values[0]).toBe(2);
    expect(values[1]).toMatchObject({ name: 'ValueError', message: expect.stringContaining('bad z') });
  });
});
