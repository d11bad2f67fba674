/**
 * `ctx.replace()` and `ctx.addToChord()` on a real worker (Celery 5.2 `Task.replace`,
 * `Task.add_to_chord`), and a revoked chord header part failing the chord's body (Celery
 * `mark_as_revoked` → `on_chord_part_return`). RabbitMQ queue `cqt.replace.*` on the default
 * exchange, results and chord keys in Redis db 2; everything created is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, before_task_publish, createLogger, type TaskRequest } from '@cq/app';
import { Chain, Chord, Group, Signature, signature } from '@cq/canvas';
import { Control } from '@cq/control';
import { Worker } from '@cq/worker';
import { tearDownCanvas, until } from './helpers.js';
import { testPlugins } from './plugins.js';

const QUEUE = `cqt.replace.${randomUUID().slice(0, 8)}`;
/** Headers of every message sent to QUEUE, by task id (a replaced id has two); recorded before publishing, so before any result. */
const published = new Map<string, Array<Record<string, unknown>>>();
const groups = new Set<string>();
before_task_publish.connect(({ headers, routingKey }) => {
  if (routingKey !== QUEUE || typeof headers['id'] !== 'string') return;
  published.set(headers['id'], [...(published.get(headers['id']) ?? []), headers]);
  if (typeof headers['group'] === 'string') groups.add(headers['group']);
}, { dispatchUid: 'cqt.replace.cleanup' });

const app = new Celery('replace', {
  broker_url: 'amqp://guest:guest@127.0.0.1:5672//', result_backend: 'redis://127.0.0.1:6379/2', result_expires: 600,
  task_default_queue: QUEUE, task_default_exchange: '',
}, { plugins: testPlugins() });
app.log = createLogger({ level: 'critical' });

const add = app.task('cqt.r.add', (x: number, y: number) => x + y);
const mul = app.task('cqt.r.mul', (x: number, y: number) => x * y);
const collect = app.task('cqt.r.collect', (values: number[]) => [...values].sort((a, b) => a - b));
const identity = app.task('cqt.r.identity', (values: unknown[]) => values);
const tsum = app.task('cqt.r.tsum', (values: number[]) => values.reduce((a, b) => a + b, 0));
const recorded: unknown[] = [];
const record = app.task('cqt.r.record', (value: unknown) => {
  recorded.push(value);
  return value;
});
const errbacks: Array<{ id: string; error: string }> = [];
app.task('cqt.r.on_error', (request: TaskRequest, error: Error) => {
  errbacks.push({ id: request.id, error: `${error.name}: ${error.message}` });
});
/** Signatures travel as dicts in the arguments, as Python's do. */
const toTask = app.task('cqt.r.to_task', (ctx, x: number) => ctx.replace(signature(add, [x, 10])), { bind: true });
const toChain = app.task('cqt.r.to_chain', (ctx, x: number) => ctx.replace(new Chain([signature(add, [x, 1]), signature(mul, [2])])), { bind: true });
const toGroup = app.task('cqt.r.to_group', (ctx, x: number) =>
  ctx.replace(new Group([signature(add, [x, 1]), signature(add, [x, 2])])), { bind: true });
const fail = app.task('cqt.r.fail', (x: unknown) => {
  const err = new Error(`bad ${String(x)}`);
  err.name = 'ValueError';
  throw err;
});
const toFail = app.task('cqt.r.to_fail', (ctx, x: string) => ctx.replace(signature(fail, [x])), { bind: true });
const toChordPart = app.task('cqt.r.to_chord_part', (ctx) =>
  ctx.replace(signature(add, [1, 1], {}, { chord: signature(tsum).toDict() })), { bind: true });
const forever = app.task('cqt.r.forever', (ctx) => new Promise((_, reject) => {
  ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
}), { bind: true });
const grower = app.task('cqt.r.grower', async (ctx, x: number) => {
  await ctx.addToChord(signature(add, [x, 100]));
  return x;
}, { bind: true });
const lazyGrower = app.task('cqt.r.lazy_grower', async (ctx, x: number) => {
  const sig = await ctx.addToChord(signature(mul, [x, 7]), { lazy: true });
  await (sig as Signature).delay();
  return x;
}, { bind: true });

let worker: Worker;
let control: Control | undefined;
beforeAll(async () => {
  worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 10, hostname: `cqt-replace-${randomUUID().slice(0, 6)}@test` });
  await worker.start();
});

afterAll(async () => {
  await control?.close().catch(() => undefined);
  await tearDownCanvas(worker, app, QUEUE, [...published.keys(), ...bodies], groups);
});

/** Chord body ids whose FAILURE is stored without a message being sent. */
const bodies: string[] = [];

describe('ctx.replace', () => {
  it('with a task: the replacement takes the task id, so the caller\'s result is the replacement\'s', async () => {
    const r = await toTask.delay(5);
    expect(await r.get({ timeout: 15 })).toBe(15);
    const sent = published.get(r.id)!;
    expect(sent.map((h) => h['task'])).toEqual(['cqt.r.to_task', 'cqt.r.add']);
    expect(sent[1]).toMatchObject({ parent_id: r.id, root_id: r.id, replaced_task_nesting: 1 });
    expect((await r.meta()).status).toBe('SUCCESS');
  });

  it('with a chain: the chain\'s last task gets the id and the result', async () => {
    const r = await toChain.delay(4);
    expect(await r.get({ timeout: 15 })).toBe(10);
    expect(published.get(r.id)!.map((h) => h['task'])).toEqual(['cqt.r.to_chain', 'cqt.r.mul']);
  });

  it('with a group: a chord whose celery.accumulate body returns the group\'s results under the id', async () => {
    const r = await toGroup.delay(1);
    expect(await r.get({ timeout: 15 })).toEqual([2, 3]);
    expect(published.get(r.id)!.map((h) => h['task'])).toEqual(['cqt.r.to_group', 'celery.accumulate']);
  });

  it('inherits link callbacks: they get the replacement\'s result', async () => {
    const r = await toTask.applyAsync([7], { link: [signature(record).toDict()] });
    expect(await r.get({ timeout: 15 })).toBe(17);
    expect(await until(() => recorded.includes(17))).toBe(true);
  });

  it('inherits errbacks: a failing replacement calls the replaced task\'s errback', async () => {
    const r = await toFail.applyAsync(['boom'], { linkError: [signature('cqt.r.on_error').toDict()] });
    await expect(r.get({ timeout: 15 })).rejects.toMatchObject({ excType: 'ValueError' });
    expect(await until(() => errbacks.some((e) => e.id === r.id))).toBe(true);
    expect(errbacks.find((e) => e.id === r.id)!.error).toBe('ValueError: bad boom');
  });

  it('refuses a replacement that is part of a chord (ImproperlyConfigured), failing the task', async () => {
    const r = await toChordPart.delay();
    await expect(r.get({ timeout: 15 })).rejects.toMatchObject({ excType: 'ImproperlyConfigured', message: expect.stringContaining('must not be part of a chord') });
    expect(published.get(r.id)!.map((h) => h['task'])).toEqual(['cqt.r.to_chord_part']);
  });

  it('in the middle of a chain: the chain goes on after the replacement, its tasks keeping their ids', async () => {
    const c = new Chain([signature(add, [1, 2]), signature(toTask), signature(mul, [3])]);
    const r = await c.applyAsync();
    expect(await r.get({ timeout: 15 })).toBe((1 + 2 + 10) * 3);
  });

  it('in the middle of a chain, with a group: the chain continues from the chord body', async () => {
    const r = await new Chain([signature(add, [1, 1]), signature(toGroup), signature(tsum)]).applyAsync();
    expect(await r.get({ timeout: 15 })).toBe(3 + 4);
  });

  it('in a chord header: the replacement is counted as that header part', async () => {
    const r = await new Chord([signature(add, [1, 1]), signature(toTask, [5]), signature(toGroup, [10])], signature(identity)).applyAsync();
    expect(await r.get({ timeout: 15 })).toEqual([2, 15, [11, 12]]);
  });
});

describe('ctx.addToChord', () => {
  it('grows the chord: the body gets the added task\'s result too', async () => {
    const r = await new Chord([signature(grower, [1]), signature(add, [2, 2])], signature(collect)).applyAsync();
    expect(await r.get({ timeout: 15 })).toEqual([1, 4, 101]);
  });

  it('lazy: returns the prepared signature, counted, for the task to send', async () => {
    const r = await new Chord([signature(lazyGrower, [3]), signature(grower, [5])], signature(collect)).applyAsync();
    expect(await r.get({ timeout: 15 })).toEqual([3, 5, 21, 105]);
  });

  it('outside a chord: the task fails with ValueError', async () => {
    const r = await grower.delay(1);
    await expect(r.get({ timeout: 15 })).rejects.toMatchObject({ excType: 'ValueError', message: expect.stringContaining('Current task is not member of any chord') });
  });
});

describe('revoked chord header part', () => {
  it('an expired header task fails the body with ChordError and calls the body\'s errback', async () => {
    const lateId = randomUUID();
    const late = signature(add, [2, 2], {}, { countdown: 2, expires: 1, task_id: lateId });
    const body = signature(tsum);
    body.linkError(signature('cqt.r.on_error'));
    const r = await new Chord([signature(add, [1, 1]), late], body).applyAsync();
    bodies.push(r.id);
    await expect(r.get({ timeout: 20 })).rejects.toMatchObject({ excType: 'ChordError' });
    const meta = await r.meta();
    expect(meta.result).toMatchObject({ exc_type: 'ChordError', exc_module: 'celery.exceptions' });
    expect(String((meta.result as { exc_message: unknown[] }).exc_message[0])).toBe(`Dependency ${lateId} raised TaskRevokedError('expired')`);
    expect((await app.asyncResult(lateId).meta()).status).toBe('REVOKED');
    expect(await until(() => errbacks.some((e) => e.id === r.id))).toBe(true);
    expect(errbacks.find((e) => e.id === r.id)!.error).toContain('TaskRevokedError');
  });
});

describe('revoked chord header part (remote control)', () => {
  /** Starts a chord of add(1,1) and `part`, whose body tsum has the errback cqt.r.on_error. */
  async function chordWith(part: Signature): Promise<string> {
    const body = signature(tsum);
    body.linkError(signature('cqt.r.on_error'));
    const r = await new Chord([signature(add, [1, 1]), part], body).applyAsync();
    bodies.push(r.id);
    return r.id;
  }

  async function expectChordError(bodyId: string, partId: string, reason: string): Promise<void> {
    const r = app.asyncResult(bodyId);
    await expect(r.get({ timeout: 20 })).rejects.toMatchObject({ excType: 'ChordError' });
    expect(String(((await r.meta()).result as { exc_message: unknown[] }).exc_message[0])).toBe(`Dependency ${partId} raised TaskRevokedError('${reason}')`);
    expect((await app.asyncResult(partId).meta()).status).toBe('REVOKED');
    expect(await until(() => errbacks.some((e) => e.id === bodyId))).toBe(true);
  }

  it('revoke: a header task revoked before it runs fails the body (TaskRevokedError(\'revoked\'))', async () => {
    control ??= new Control(app);
    const partId = randomUUID();
    const bodyId = await chordWith(signature(add, [2, 2], {}, { countdown: 1.5, task_id: partId }));
    await control.revoke(partId, { destination: [worker.hostname], reply: true, timeout: 5 });
    await expectChordError(bodyId, partId, 'revoked');
  });

  it('revoke with terminate: a running header task fails the body (TaskRevokedError(\'terminated\'))', async () => {
    control ??= new Control(app);
    const partId = randomUUID();
    const bodyId = await chordWith(signature(forever, [], {}, { task_id: partId }));
    expect(await until(() => [...worker.activeRequests].some((r) => r.id === partId))).toBe(true);
    await control.revoke(partId, { destination: [worker.hostname], reply: true, timeout: 5, terminate: true });
    await expectChordError(bodyId, partId, 'terminated');
  });
});
