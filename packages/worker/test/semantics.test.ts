/**
 * Task semantics on RabbitMQ (results in Redis db 2): STARTED with pid/hostname, custom states and
 * progress through AsyncResult, ignore_result and store_errors_even_if_ignored, Reject and Ignore,
 * and the request context a task sees.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Ignore, Reject, type TaskContext, type TaskRequest } from '@cq/app';
import { deferred } from '@cq/vine';
import { Fixture, sleep, until } from './helpers.js';

const fx = new Fixture('amqp');
afterAll(() => fx.cleanup());

describe('task semantics', () => {
  it('stores STARTED with pid and hostname, and custom states with their meta, readable by the client', async () => {
    const app = fx.app();
    const gate = deferred<void>();
    const progressed = deferred<void>();
    const t = app.task('sem.progress', async (ctx: TaskContext) => {
      await gate.promise;
      await ctx.updateState({ state: 'PROGRESS', meta: { done: 3, total: 10 } });
      progressed.resolve();
      await new Promise((r) => setTimeout(r, 300));
      return 'finished';
    }, { bind: true, trackStarted: true });
    const worker = await fx.worker(app);
    const r = await t.delay();
    expect(await until(async () => (await r.state()) === 'STARTED')).toBe(true);
    expect(await r.info()).toEqual({ pid: process.pid, hostname: worker.hostname });
    gate.resolve();
    await progressed.promise;
    expect(await r.state()).toBe('PROGRESS');
    expect(await r.info()).toEqual({ done: 3, total: 10 });
    expect(await r.get({ timeout: 5 })).toBe('finished');
  });

  it('stores nothing with ignoreResult, but failures with storeErrorsEvenIfIgnored', async () => {
    const app = fx.app();
    const ran: string[] = [];
    const quiet = app.task('sem.quiet', (what: string) => {
      ran.push(what);
      if (what.startsWith('fail')) throw new Error(what);
      return what;
    }, { ignoreResult: true });
    const keepsErrors = app.task('sem.keepserrors', () => {
      ran.push('kept');
      throw Object.assign(new Error('kept error'), { name: 'QuotaError' });
    }, { ignoreResult: true, storeErrorsEvenIfIgnored: true });
    await fx.worker(app);
    const ok = await quiet.delay('ok');
    const failed = await quiet.delay('fail-silently');
    const stored = await keepsErrors.delay();
    expect(await until(() => ran.length === 3)).toBe(true);
    await expect(stored.get({ timeout: 5 })).rejects.toMatchObject({ name: 'QuotaError', message: 'kept error' });
    await sleep(200);
    expect(await ok.state()).toBe('PENDING');
    expect(await failed.state()).toBe('PENDING');
  });

  it('Reject drops or requeues the message; Ignore acks it and stores nothing', async () => {
    const app = fx.app();
    const queue = app.conf.task_default_queue;
    const runs = new Map<string, number>();
    const count = (k: string) => runs.set(k, (runs.get(k) ?? 0) + 1).get(k)!;
    const t = app.task('sem.signals', (kind: string) => {
      const n = count(kind);
      if (kind === 'drop') throw new Reject('bad input', false);
      if (kind === 'again' && n === 1) throw new Reject('try elsewhere', true);
      if (kind === 'ignore') throw new Ignore('not interesting');
      return `${kind}:${n}`;
    }, { acksLate: true });
    await fx.worker(app);
    const dropped = await t.delay('drop');
    const again = await t.delay('again');
    const ignored = await t.delay('ignore');
    expect(await again.get({ timeout: 5 })).toBe('again:2');
    await sleep(300);
    expect(runs.get('drop')).toBe(1);
    expect(runs.get('ignore')).toBe(1);
    expect(await dropped.state()).toBe('PENDING');
    expect(await ignored.state()).toBe('PENDING');
    expect(await fx.queueLength(app, queue)).toBe(0);
  });

  it('gives the task its request context', async () => {
    const app = fx.app();
    const seen = deferred<TaskRequest>();
    const t = app.task('sem.context', (ctx: TaskContext) => { seen.resolve({ ...ctx.request }); }, { bind: true });
    const worker = await fx.worker(app);
    const queue = app.conf.task_default_queue;
    const r = await t.applyAsync([], { countdown: 0.2, expires: 60, groupId: 'g-1', groupIndex: 4, headers: { tenant: 'acme' } });
    const req = await seen.promise;
    expect(req.id).toBe(r.id);
    expect(req.task).toBe('sem.context');
    expect(req.retries).toBe(0);
    expect(req.hostname).toBe(worker.hostname);
    expect(req.deliveryInfo).toMatchObject({ exchange: '', routing_key: queue });
    expect(req.parentId).toBeNull();
    expect(req.rootId).toBe(r.id);
    expect(req.correlationId).toBe(r.id);
    expect(req.replyTo).toBe(app.oid);
    expect(req.group).toBe('g-1');
    expect(req.groupIndex).toBe(4);
    expect(req.eta).toBeInstanceOf(Date);
    expect(req.expires).toBeInstanceOf(Date);
    expect(req.expires!.getTime() - req.eta!.getTime()).toBeGreaterThan(59_000);
    expect(req.headers['tenant']).toBe('acme');
    expect(req.isEager).toBe(false);
  });
});
