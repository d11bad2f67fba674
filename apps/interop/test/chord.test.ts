/**
 * Chords between cq and Python Celery 5.2.6 on Redis db 2 (broker and results; queues
 * `cqt.chord.ts.*` and `cqt.chord.py.*`): an in-process cq worker consumes the ts queue, a real
 * Python worker the py queue, and each task is routed by its signature's `queue`. Both count header
 * parts with Celery's Redis keys (`celery-taskset-meta-<gid>.s` / `.j`), so whichever worker finishes
 * the last part applies the body: cq header → Python body, Python-built chords completed by cq,
 * a header split across both. Also: a failed header task → the body's errback and ChordError, and
 * `celery.chord_unlock` (the fallback for backends without native chords) run by the cq worker.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Celery, Signature, after_task_publish, chord, createLogger, signature, task_prerun, type ApplyOptions,
} from '@cq/celery';
import { deleteRedisKeys, waitFor } from './brokers.js';
import { pythonCall, type Urls, usePairedWorkers } from './helpers.js';

const suffix = randomUUID().slice(0, 8);
const TS = `cqt.chord.ts.${suffix}`;
const PY = `cqt.chord.py.${suffix}`;
const DB = 2;
const urls: Urls = { broker: `redis://127.0.0.1:6379/${DB}`, backend: `redis://127.0.0.1:6379/${DB}`, queue: PY };

/** Result keys to delete afterwards: what this process sent or ran, plus ids Python reports. */
const ids = new Set<string>();
after_task_publish.connect(({ headers }) => {
  if (typeof headers['id'] === 'string') ids.add(headers['id']);
}, { dispatchUid: 'cqt.chord.interop.sent' });
task_prerun.connect(({ taskId }) => ids.add(taskId), { dispatchUid: 'cqt.chord.interop.ran' });

const app = new Celery('chord-interop', { task_default_queue: TS, result_expires: 600 })
  .configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
app.log = createLogger({ level: 'critical' });
const add = app.task('ts.add', (x: number, y: number) => x + y);
const tsum = app.task('ts.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const fail = app.task('ts.fail', (message: string) => {
  throw Object.assign(new Error(message), { name: 'ValueError' });
});
const errbackCalls: unknown[][] = [];
app.task('ts.on_error', (taskId: string) => {
  errbackCalls.push([taskId]);
  return taskId;
});

/** A signature of a Python task by name, routed to the Python worker's queue. */
const py = (name: string, args: unknown[] = [], options: ApplyOptions = {}): Signature => new Signature(name, { args, options: { queue: PY, ...options }, app });

usePairedWorkers(app, TS, urls, async () => {
  // The workers' remote-control binding has no suffix; db 2 is this suite's own.
  await deleteRedisKeys(DB, suffix, [...ids].map((id) => `celery-task-meta-${id}`).concat('_kombu.binding.celery.pidbox'));
});

describe('chords between cq and Python Celery (Redis)', () => {
  it('the cq worker registers Celery\'s built-in tasks', () => {
    for (const name of ['celery.chord_unlock', 'celery.group', 'celery.chain', 'celery.map', 'celery.starmap', 'celery.chunks', 'celery.accumulate', 'celery.backend_cleanup']) {
      expect(app.tasks.has(name), name).toBe(true);
    }
  });

  it('a chord of 10 runs on the cq worker and its body sums the results', async () => {
    const r = await chord(Array.from({ length: 10 }, (_, i) => signature(add, [i, i])), signature(tsum)).applyAsync();
    expect(await r.get({ timeout: 30 })).toBe(90);
  });

  it('a failed header task fails the body with ChordError and calls the body\'s errback', async () => {
    const body = signature(tsum);
    body.linkError(signature('ts.on_error'));
    const r = await chord([signature(add, [1, 1]), signature(fail, ['boom']), signature(add, [2, 2])], body).applyAsync();
    ids.add(r.id); // never sent: its FAILURE is stored by the worker that saw the last part
    await expect(r.get({ timeout: 30 })).rejects.toMatchObject({ excType: 'ChordError' });
    const meta = await r.meta();
    expect(meta.result).toMatchObject({ exc_type: 'ChordError', exc_module: 'celery.exceptions' });
    expect(String((meta.result as { exc_message: unknown[] }).exc_message[0])).toMatch(/^Dependency [0-9a-f-]{36} raised ValueError\('boom'\)$/);
    await waitFor(async () => (errbackCalls.some((c) => c[0] === r.id) ? true : undefined), 20_000, 'the errback');
  });

  it('a chord built by cq: header on the cq worker, body on the Python worker', async () => {
    const r = await chord([signature(add, [1, 2]), signature(add, [3, 4]), signature(add, [5, 6])], py('py.tsum')).applyAsync();
    expect(await r.get({ timeout: 30 })).toBe(21);
  });

  it('a chord built by cq whose header runs on the Python worker: Python completes it and the body runs on cq', async () => {
    const r = await chord([py('py.add', [1, 1]), py('py.add', [2, 2])], signature(tsum, [], {}, { queue: TS })).applyAsync();
    expect(await r.get({ timeout: 30 })).toBe(6);
  });

  it('a chord built by Python: header on the cq worker, completed by cq, body on cq', async () => {
    const ts = (name: string, args: unknown[]) => ({ task: name, args, kwargs: {}, options: { queue: TS }, subtask_type: null, immutable: false });
    const res = await pythonCall(urls, { chord: { header: [ts('ts.add', [1, 1]), ts('ts.add', [2, 2]), ts('ts.add', [3, 3])], body: ts('ts.tsum', []) }, timeout: 30 } as never) as unknown as { id: string; result: number; header: string[] };
    res.header.forEach((id) => ids.add(id));
    ids.add(res.id);
    expect(res.result).toBe(12);
  });

  it('a chord built by Python whose header runs on both workers: either one completes it', async () => {
    const sig = (name: string, args: unknown[], queue: string) => ({ task: name, args, kwargs: {}, options: { queue }, subtask_type: null, immutable: false });
    const header = [sig('ts.add', [1, 1], TS), sig('py.add', [10, 10], PY), sig('ts.add', [100, 100], TS), sig('py.add', [1000, 1000], PY)];
    const res = await pythonCall(urls, { chord: { header, body: sig('py.tsum', [], PY) }, timeout: 30 } as never) as unknown as { id: string; result: number; header: string[] };
    res.header.forEach((id) => ids.add(id));
    ids.add(res.id);
    expect(res.result).toBe(2222);
  });

  it('celery.chord_unlock, as a backend without native chords sends it, waits for the header and applies the body', async () => {
    const backend = (await app.backend())!;
    const [a, b] = [randomUUID(), randomUUID()];
    ids.add(a).add(b);
    await backend.markAsDone(a, 5);
    const body = signature(tsum).set({ queue: TS });
    const bodyResult = body.freeze();
    await app.sendTask('celery.chord_unlock', [randomUUID(), body.toDict()], {
      kwargs: { interval: 0.2, max_retries: null, result: [[[a, null], null], [[b, null], null]] }, queue: TS,
    });
    // Not ready yet: the unlock retries itself until the second result is stored.
    await new Promise((r) => setTimeout(r, 600));
    expect((await backend.getTaskMeta(bodyResult.id)).status).toBe('PENDING');
    await backend.markAsDone(b, 7);
    expect(await bodyResult.get({ timeout: 20 })).toBe(12);
  });
});
