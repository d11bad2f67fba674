/**
 * Canvas across languages, on RabbitMQ (queues `cqt.canvas.ts.*` and `cqt.canvas.py.*`) with results in
 * Redis db 2: an in-process cq worker consumes the ts queue, a real Python Celery worker the py queue,
 * and each link is routed by its signature's `queue` option. Both workers continue each other's
 * chains (Celery's reversed `embed.chain`), errbacks cross over with the failed task id, and a group
 * runs half on each side.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  Celery, GroupResult, Signature, after_task_publish, chain, createLogger, currentTask, group, signature, type ApplyOptions, type AsyncResult,
} from '@cq/celery';
import { deleteAmqp } from './brokers.js';
import { pythonCall, type Urls, usePairedWorkers } from './helpers.js';

const suffix = randomUUID().slice(0, 8);
const TS = `cqt.canvas.ts.${suffix}`;
const PY = `cqt.canvas.py.${suffix}`;
const urls: Urls = { broker: 'amqp://guest:guest@127.0.0.1:5672//', backend: 'redis://127.0.0.1:6379/2', queue: PY };

/** Result keys to delete afterwards: what this process sent, plus ids the tests learn. */
const ids = new Set<string>();
after_task_publish.connect(({ headers }) => {
  if (typeof headers['id'] === 'string') ids.add(headers['id']);
}, { dispatchUid: 'cqt.canvas.interop.cleanup' });

const app = new Celery('canvas-interop', { task_default_queue: TS, task_default_exchange: '', result_expires: 600 })
  .configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
app.log = createLogger({ level: 'critical' });
const add = app.task('ts.add', (x: number, y: number) => x + y);
const mul = app.task('ts.mul', (x: number, y: number) => x * y);
const fail = app.task('ts.fail', (message: string) => {
  const err = new Error(message);
  err.name = 'ValueError';
  throw err;
});
const seen: unknown[][] = [];
app.task('ts.record', (...args: unknown[]) => {
  seen.push(args);
  const id = currentTask()?.request.id;
  if (id) ids.add(id); // sent by the Python worker: not seen by after_task_publish here
  return args;
});

/** A signature of a Python task by name, routed to the Python worker's queue. */
const py = (name: string, args: unknown[] = [], options: ApplyOptions = {}): Signature => new Signature(name, { args, options: { queue: PY, ...options }, app });

usePairedWorkers(app, TS, urls, async () => {
  await deleteAmqp([TS, PY], [TS, PY]);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 2 });
  const keys = [...ids].map((id) => `celery-task-meta-${id}`).concat(groupIds.map((g) => `celery-taskset-meta-${g}`));
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});
const groupIds: string[] = [];

/** Every id on the parent chain of a result (to clean up results Python wrote). */
async function remember(result: AsyncResult<unknown>): Promise<void> {
  for (let id: string | undefined = result.id; id; id = (await app.asyncResult(id).meta()).parent_id) ids.add(id);
}

describe('canvas between cq and Python Celery', () => {
  it('a chain built in cq whose middle link is a Python task: both workers continue it', async () => {
    // Links carry their queue: the worker that continues the chain routes by the signature's options.
    const sig = chain(signature(add, [1, 2]), py('py.add', [10]), signature(mul, [2], {}, { queue: TS }));
    const r = await sig.applyAsync();
    expect(await r.get({ timeout: 30 })).toBe(26);
    const meta = await r.meta();
    const middle = await app.asyncResult(meta.parent_id!).meta();
    expect(middle).toMatchObject({ status: 'SUCCESS', result: 13 });
    await remember(r);
  });

  it('a chain built by Python Celery runs its cq links on the cq worker', async () => {
    const dicts = [signature('ts.add', [1, 2], {}, { queue: TS }), signature('py.add', [10], {}, { queue: PY }), signature('ts.mul', [3], {}, { queue: TS })].map((s) => s.toDict());
    const request = { name: 'celery.chain', chain: dicts, timeout: 30 };
    const out = await pythonCall(urls, request);
    expect(out).toMatchObject({ state: 'SUCCESS', result: 39 });
    await remember(app.asyncResult(out.id));
  });

  it('a Python errback of a failing cq task is sent with the failed task id', async () => {
    const errbackId = randomUUID();
    const sig = signature(fail, ['boom']);
    sig.linkError(py('py.echo', [], { taskId: errbackId }));
    const r = await sig.applyAsync();
    await expect(r.get({ timeout: 20 })).rejects.toMatchObject({ name: 'ValueError' });
    expect(await app.asyncResult(errbackId).get({ timeout: 20 })).toEqual({ args: [r.id], kwargs: {} });
  });

  it('a cq errback of a failing Python task receives the failed task id', async () => {
    const sig = py('py.fail', ['kaput']);
    sig.linkError(signature('ts.record', [], {}, { queue: TS }));
    const r = await sig.applyAsync();
    await expect(r.get({ timeout: 20 })).rejects.toMatchObject({ name: 'ValueError' });
    const deadline = Date.now() + 20_000;
    while (!seen.some((a) => a[0] === r.id) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(seen).toContainEqual([r.id]);
  });

  it('a group runs half on each side and its GroupResult collects both', async () => {
    const members = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? signature(add, [i, 1]) : py('py.add', [i, 1])));
    const res = await group(...members).applyAsync();
    groupIds.push(res.id);
    expect(await res.get({ timeout: 30 })).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await res.completedCount()).toBe(6);
    await res.save();
    expect(await (await GroupResult.restore(res.id, app))!.join({ timeout: 5 })).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
