/**
 * Remote control between a cq client and a cq worker, on Redis (db 0) and RabbitMQ: the pidbox
 * round trip (ping, stats, registered, active, query_task, scheduled), revoke (an ETA task revoked
 * while held never runs; `terminate` stops a running task), rate_limit and time_limit, custom
 * commands, and revokes kept in a `--statedb` file across a restart. Every queue, task id and key is
 * named `cqt.ctl.*`; the worker is addressed by `destination` since other workers share the pidbox.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Celery, createLogger, type CelerySettings } from '@cq/app';
import { Control } from '@cq/control';
import { Worker } from '@cq/worker';
import { testPlugins } from './plugins.js';

const REDIS = 'redis://127.0.0.1:6379/0';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const id = (): string => `cqt.ctl.${randomUUID()}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(30);
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cqt-ctl-'));
const queues = new Set<string>();
const cleanups: Array<() => Promise<void>> = [];
// Redis keeps pidbox bindings in these sets; what this file adds is removed at the end.
const BINDINGS = ['_kombu.binding.celery.pidbox', '_kombu.binding.reply.celery.pidbox'];
const before = new Map<string, Set<string>>();

beforeAll(async () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 0 });
  for (const key of BINDINGS) before.set(key, new Set(await redis.smembers(key)));
  redis.disconnect();
});

afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 0 });
  try {
    const keys = await redis.keys('*cqt.ctl.*');
    if (keys.length > 0) await redis.del(...keys);
    for (const key of BINDINGS) {
      const added = (await redis.smembers(key)).filter((m) => !before.get(key)?.has(m) && (key.includes('reply') || m.includes('cqt-ctl-')));
      if (added.length > 0) await redis.srem(key, ...added);
    }
  } finally {
    redis.disconnect();
  }
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe.each([['redis', REDIS], ['amqp', AMQP]] as const)('remote control on %s', (_name, broker) => {
  function makeApp(settings: Partial<CelerySettings> = {}): Celery {
    const q = `cqt.ctl.q.${randomUUID().slice(0, 8)}`;
    queues.add(q);
    const app = new Celery('ctl', {
      broker_url: broker, result_backend: REDIS, task_default_queue: q, result_expires: 600,
      broker_transport_options: broker === REDIS ? { unacked_key: 'cqt.ctl.unacked', unacked_index_key: 'cqt.ctl.unacked_index', unacked_mutex_key: 'cqt.ctl.unacked_mutex' } : {},
      ...settings,
    }, { plugins: testPlugins() });
    app.log = createLogger({ level: 'critical' });
    cleanups.push(async () => {
      const conn = app.connection();
      const ch = await conn.channel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.deleteExchange(q).catch(() => undefined);
      await conn.close();
      await app.close();
    });
    return app;
  }

  async function startWorker(app: Celery, hostname = `cqt-ctl-${randomUUID().slice(0, 6)}@test`): Promise<Worker> {
    const worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 4, hostname });
    cleanups.push(() => worker.shutdown('cold'));
    await worker.start();
    return worker;
  }

  function client(app: Celery): Control {
    const control = new Control(app);
    cleanups.push(() => control.close());
    return control;
  }

  it('answers ping, stats, registered, active and query_task with Celery shapes', async () => {
    const app = makeApp();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow = app.task('cqt.ctl.slow', async (n: number) => { await gate; return n; });
    app.task('celery.hidden', () => 1);
    const w = await startWorker(app);
    const control = client(app);
    const dest = { destination: [w.hostname] };

    expect(await control.ping({ ...dest, timeout: 5 })).toEqual([{ [w.hostname]: { ok: 'pong' } }]);
    const inspect = control.inspect({ ...dest, timeout: 5 });
    const stats = (await inspect.stats())![w.hostname] as Record<string, unknown>;
    expect(stats).toMatchObject({ pid: process.pid, pool: { implementation: 'async', 'max-concurrency': 4 }, total: {} });
    expect(typeof stats['clock']).toBe('string');
    // A plain redis:// (or amqp://) broker is not TLS; only rediss/amqps or broker_use_ssl are.
    expect(stats['broker']).toMatchObject({ ssl: false, transport: expect.stringMatching(/^(redis|amqp)$/) });
    expect((await inspect.registered())![w.hostname]).toEqual(['cqt.ctl.slow']);

    const taskId = id();
    await slow.applyAsync([7], { taskId });
    expect(await until(() => w.activeRequests.size === 1)).toBe(true);
    const active = (await inspect.active())![w.hostname] as Array<Record<string, unknown>>;
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ id: taskId, name: 'cqt.ctl.slow', args: [7], kwargs: {}, hostname: w.hostname, acknowledged: true });
    expect(typeof active[0]!['time_start']).toBe('number');
    const queried = (await inspect.queryTask(taskId))![w.hostname] as Record<string, [string, Record<string, unknown>]>;
    expect(queried[taskId]![0]).toBe('active');
    expect((await inspect.queryTask('cqt.ctl.unknown'))![w.hostname]).toEqual({});
    release();
    expect(await app.asyncResult(taskId).get({ timeout: 10 })).toBe(7);
    const after = (await inspect.stats())![w.hostname] as { total: Record<string, number> };
    expect(after.total).toEqual({ 'cqt.ctl.slow': 1 });
    // A node not addressed stays silent; an unknown command is an error reply.
    expect(await control.ping({ destination: ['cqt-ctl-nobody@test'], timeout: 0.3 })).toEqual([]);
    expect(await control.broadcast('no_such_command', { ...dest, reply: true, timeout: 5 })).toEqual([{ [w.hostname]: { error: "KeyError('no_such_command')" } }]);
  });

  it('never runs a revoked task waiting for its ETA, and revoke terminate stops a running task', async () => {
    const app = makeApp();
    const ran: string[] = [];
    const t = app.task('cqt.ctl.record', (tag: string) => { ran.push(tag); return tag; });
    const forever = app.task('cqt.ctl.forever', (ctx) => new Promise((_, reject) => {
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
    }), { bind: true });
    const w = await startWorker(app);
    const control = client(app);
    const dest = { destination: [w.hostname], timeout: 5 };

    const held = id();
    const kept = id();
    await t.applyAsync(['held'], { taskId: held, countdown: 1.5 });
    await t.applyAsync(['kept'], { taskId: kept, countdown: 1.5 });
    expect(await until(async () => ((await control.inspect(dest).scheduled())?.[w.hostname] as unknown[] ?? []).length === 2)).toBe(true);
    const scheduled = (await control.inspect(dest).scheduled())![w.hostname] as Array<{ eta: string; priority: number; request: { id: string } }>;
    expect(scheduled.map((s) => s.request.id).sort()).toEqual([held, kept].sort());
    expect(scheduled[0]!.priority).toBe(6);

    expect(await control.revoke(held, { ...dest, reply: true })).toEqual([{ [w.hostname]: { ok: `tasks ${held} flagged as revoked` } }]);
    expect((await control.inspect(dest).revoked())![w.hostname]).toContain(held);
    expect(await app.asyncResult(kept).get({ timeout: 10 })).toBe('kept');
    await expect(app.asyncResult(held).get({ timeout: 10 })).rejects.toThrow(/revoked/i);
    expect(await app.asyncResult(held).state()).toBe('REVOKED');
    expect(ran).toEqual(['kept']);

    const running = id();
    await forever.applyAsync([], { taskId: running });
    expect(await until(() => w.activeRequests.size === 1)).toBe(true);
    expect(await control.revoke(running, { ...dest, reply: true, terminate: true, signal: 'SIGKILL' })).toEqual([{ [w.hostname]: { ok: `terminate: ${running}` } }]);
    expect(await until(() => w.activeRequests.size === 0)).toBe(true);
    expect(await app.asyncResult(running).state()).toBe('REVOKED');
    expect(await control.revoke(id(), { ...dest, reply: true, terminate: true })).toEqual([{ [w.hostname]: { ok: 'terminate: tasks unknown' } }]);
  });

  it('a task waiting in the pool behind a running one: inspect reserved lists it, and a revoke stops it from running', async () => {
    const app = makeApp();
    const ran: string[] = [];
    const gate = { open: false };
    app.task('cqt.ctl.block', async () => {
      ran.push('block');
      while (!gate.open) await new Promise((r) => setTimeout(r, 20));
    });
    app.task('cqt.ctl.after', (tag: string) => { ran.push(tag); return tag; });
    const control = client(app);
    const w = new Worker(app, { log: app.log, pool: 'async', concurrency: 1, hostname: `cqt-ctl-${randomUUID().slice(0, 6)}@test` });
    cleanups.push(() => w.shutdown('cold'));
    await w.start();
    const dest = { destination: [w.hostname], timeout: 5, reply: true };
    const blocking = id();
    const waiting = id();
    const kept = id();
    await app.sendTask('cqt.ctl.block', [], { taskId: blocking });
    await app.sendTask('cqt.ctl.after', ['revoked'], { taskId: waiting });
    await app.sendTask('cqt.ctl.after', ['kept'], { taskId: kept });
    expect(await until(async () => ((await control.inspect(dest).reserved())?.[w.hostname] as unknown[] ?? []).length === 2)).toBe(true);
    const reserved = (await control.inspect(dest).reserved())![w.hostname] as Array<{ id: string }>;
    expect(reserved.map((r) => r.id).sort()).toEqual([waiting, kept].sort());
    await control.revoke(waiting, { ...dest });
    gate.open = true;
    expect(await app.asyncResult(kept).get({ timeout: 10 })).toBe('kept');
    expect(await app.asyncResult(waiting).state()).toBe('REVOKED');
    expect(ran).toEqual(['block', 'kept']);
    expect(w.reservedRequests.size).toBe(0);
  });

  it('rate_limit holds and releases a task type; time_limit and custom commands apply', async () => {
    const app = makeApp();
    const ran: number[] = [];
    app.task('cqt.ctl.tick', (n: number) => { ran.push(n); });
    app.task('cqt.ctl.limited', () => 1);
    const control = client(app);
    control.command('cqt_echo', (state, args) => ({ ok: `${state.hostname} got ${String(args['word'])}` }), { type: 'inspect', args: [['word', 'str']] });
    const w = await startWorker(app);
    const dest = { destination: [w.hostname], timeout: 5, reply: true };

    expect(await control.rateLimit('cqt.ctl.tick', '1/h', dest)).toEqual([{ [w.hostname]: { ok: 'new rate limit set successfully' } }]);
    expect(app.tasks.get('cqt.ctl.tick')!.options.rateLimit).toBe('1/h');
    for (const n of [1, 2, 3]) await app.sendTask('cqt.ctl.tick', [n], { taskId: id() });
    expect(await until(() => ran.length === 1)).toBe(true);
    expect(await until(async () => ((await control.inspect(dest).reserved())?.[w.hostname] as unknown[] ?? []).length === 2)).toBe(true);
    expect(ran).toEqual([1]);
    expect(await control.rateLimit('cqt.ctl.tick', null, dest)).toEqual([{ [w.hostname]: { ok: 'rate limit disabled successfully' } }]);
    expect(await until(() => ran.length === 3)).toBe(true);
    expect(await control.rateLimit('cqt.ctl.nope', '1/s', dest)).toEqual([{ [w.hostname]: { error: 'unknown task' } }]);

    expect(await control.timeLimit('cqt.ctl.limited', 5, 10, dest)).toEqual([{ [w.hostname]: { ok: 'time limits set successfully' } }]);
    expect(app.tasks.get('cqt.ctl.limited')!.options).toMatchObject({ softTimeLimit: 5, timeLimit: 10 });
    expect(await control.inspect({ destination: [w.hostname], timeout: 5 }).request('cqt_echo', { word: 'hi' })).toEqual({ [w.hostname]: { ok: `${w.hostname} got hi` } });
  });

  it('mingle (worker_mingle) takes the revoked ids of the workers already running', async () => {
    const app = makeApp();
    const a = await startWorker(app);
    const known = id();
    await client(app).revoke(known, { destination: [a.hostname], reply: true, timeout: 5 });
    const app2 = makeApp({ worker_mingle: true });
    const b = await startWorker(app2);
    expect(b.consumer!.control!.revoked.has(known)).toBe(true);
  });

  it('keeps revoked ids in the --statedb file across a restart', async () => {
    const file = path.join(tmp, `${_name}.state.json`);
    const app = makeApp({ worker_state_db: file });
    const hostname = `cqt-ctl-${randomUUID().slice(0, 6)}@test`;
    const w1 = await startWorker(app, hostname);
    const control = client(app);
    const gone = id();
    await control.revoke(gone, { destination: [hostname], reply: true, timeout: 5 });
    await w1.stop();
    const app2 = makeApp({ worker_state_db: file });
    const ran: string[] = [];
    app2.task('cqt.ctl.late', () => { ran.push('late'); });
    const w2 = await startWorker(app2, hostname);
    expect(w2.consumer!.control!.revoked.has(gone)).toBe(true);
    expect((await client(app2).inspect({ destination: [hostname], timeout: 5 }).revoked())![hostname]).toContain(gone);
    await app2.sendTask('cqt.ctl.late', [], { taskId: gone });
    expect(await until(async () => (await app2.asyncResult(gone).state()) === 'REVOKED')).toBe(true);
    expect(ran).toEqual([]);
  });
});
