/**
 * `Task.replace` and `Task.add_to_chord` across languages, on RabbitMQ (queues `cqt.replace.ts.*` and
 * `cqt.replace.py.*`) with results and chord counters in Redis db 2: an in-process cq worker consumes
 * the ts queue, a real Python Celery 5.2 worker the py queue. A task replaced on one side is finished
 * on the other under the same id; a header part on one side grows a chord (INCR of
 * `celery-taskset-meta-<gid>.t`) that the other side's counter completes.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  Celery, Chord, Signature, after_task_publish, createLogger, signature, task_prerun, type SignatureDict,
} from '@cq/celery';
import { deleteAmqp } from './brokers.js';
import { type Urls, usePairedWorkers } from './helpers.js';

const suffix = randomUUID().slice(0, 8);
const TS = `cqt.replace.ts.${suffix}`;
const PY = `cqt.replace.py.${suffix}`;
const urls: Urls = { broker: 'amqp://guest:guest@127.0.0.1:5672//', backend: 'redis://127.0.0.1:6379/2', queue: PY };

/** Result and chord keys to delete afterwards: ids sent or run here, and group ids. */
const ids = new Set<string>();
const groups = new Set<string>();
after_task_publish.connect(({ headers }) => {
  if (typeof headers['id'] === 'string') ids.add(headers['id']);
  if (typeof headers['group'] === 'string') groups.add(headers['group']);
}, { dispatchUid: 'cqt.replace.interop.sent' });
task_prerun.connect(({ taskId }) => ids.add(taskId), { dispatchUid: 'cqt.replace.interop.ran' });

const app = new Celery('replace-interop', { task_default_queue: TS, task_default_exchange: '', result_expires: 600 })
  .configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
app.log = createLogger({ level: 'critical' });
app.task('ts.add', (x: number, y: number) => x + y);
const collect = app.task('ts.collect', (values: number[]) => [...values].sort((a, b) => a - b));
const replaceWith = app.task('ts.replace_with', (ctx, sig: SignatureDict) => ctx.replace(sig), { bind: true });
const grow = app.task('ts.grow', async (ctx, x: number, sig: SignatureDict) => {
  await ctx.addToChord(sig);
  return x;
}, { bind: true });


/** A signature of a Python task by name, routed to the Python worker's queue. */
const py = (name: string, args: unknown[]): Signature => new Signature(name, { args, options: { queue: PY }, app });
/** A signature dict routed to `queue`, as both sides send it. */
const dict = (task: string, args: unknown[], queue: string): SignatureDict => ({ task, args, kwargs: {}, options: { queue }, subtask_type: null, immutable: false });

usePairedWorkers(app, TS, urls, async () => {
  await deleteAmqp([TS, PY], [TS, PY]);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 2 });
  const keys = [...ids].map((id) => `celery-task-meta-${id}`)
    .concat([...groups].flatMap((g) => ['', '.j', '.t', '.s'].map((s) => `celery-taskset-meta-${g}${s}`)));
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('Task.replace and add_to_chord between cq and Python Celery', () => {
  it('a Python task replaced by a cq task: the cq worker finishes it under the same id', async () => {
    const r = await py('py.replace_with', [dict('ts.add', [2, 3], TS)]).applyAsync();
    expect(await r.get({ timeout: 30 })).toBe(5);
    expect(await r.state()).toBe('SUCCESS');
  });

  it('a cq task replaced by a Python task: the Python worker finishes it under the same id', async () => {
    const r = await replaceWith.delay(dict('py.add', [20, 22], PY));
    expect(await r.get({ timeout: 30 })).toBe(42);
  });

  it('a cq task replaced by a group of Python tasks: the accumulated list under the same id', async () => {
    const group = { task: 'celery.group', args: [], kwargs: { tasks: [dict('py.add', [1, 1], PY), dict('py.add', [2, 2], PY)] }, options: {}, subtask_type: 'group', immutable: false };
    const r = await replaceWith.delay(group);
    expect(await r.get({ timeout: 30 })).toEqual([2, 4]);
  });

  it('a Python header part adds a cq task to a chord started by cq: the body gets its result', async () => {
    const header = [py('py.grow', [1, dict('ts.add', [1, 100], TS)]), new Signature('ts.add', { args: [2, 2], app })];
    // Whichever worker counts the last part sends the body: it carries its queue for Python's routing.
    const r = await new Chord(header, signature(collect, [], {}, { queue: TS })).applyAsync();
    ids.add(r.id);
    expect(await r.get({ timeout: 30 })).toEqual([1, 4, 101]);
  });

  it('a cq header part adds a Python task to a chord whose other part runs on Python', async () => {
    const header = [signature(grow, [5, dict('py.add', [5, 100], PY)]), py('py.add', [1, 1])];
    const r = await new Chord(header, signature(collect, [], {}, { queue: TS })).applyAsync();
    ids.add(r.id);
    expect(await r.get({ timeout: 30 })).toEqual([2, 5, 105]);
  });
});
