/**
 * Retries on a real broker (Redis db 2): what `ctx.retry()` re-sends, RETRY stored with its cause,
 * automatic retries with backoff up to `maxRetries` and then FAILURE, MaxRetriesExceededError, and
 * `dontAutoretryFor`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskContext, TaskRequest } from '@cq/app';
import { Fixture, until } from './helpers.js';

const fx = new Fixture('redis');
afterAll(() => fx.cleanup());

class ConnErr extends Error {
  override name = 'ConnErr';
}

describe('retries', () => {
  it('ctx.retry re-sends the same task as Python Celery does and stores RETRY with the cause', async () => {
    const app = fx.app();
    const runs: Array<{ request: TaskRequest; at: number }> = [];
    const flaky = app.task('sem.flaky', (ctx: TaskContext, a: number, b: number) => {
      runs.push({ request: { ...ctx.request }, at: Date.now() });
      if (ctx.request.retries === 0) ctx.retry({ countdown: 1, exc: new ConnErr('boom') });
      return a + b;
    }, { bind: true });
    await fx.worker(app);
    const sentAt = Date.now();
    const r = await flaky.applyAsync([1, 2], { kwargs: {}, headers: { custom: 'kept' }, expires: 120 });
    expect(await until(async () => (await r.state()) === 'RETRY')).toBe(true);
    const retryMeta = await r.meta();
    expect(retryMeta.result).toMatchObject({ exc_type: 'ConnErr', exc_message: ['boom'] });
    expect(await r.get({ timeout: 10 })).toBe(3);

    expect(runs).toHaveLength(2);
    const [first, second] = [runs[0]!.request, runs[1]!.request];
    expect(second.id).toBe(first.id);
    expect(second.retries).toBe(1);
    expect(second.args).toEqual([1, 2]);
    expect(second.kwargs).toEqual({});
    // A top-level task re-sent from inside itself becomes its own parent (Celery send_task); root stays.
    expect(second.rootId).toBe(first.id);
    expect(second.parentId).toBe(first.id);
    expect(second.headers['custom']).toBe('kept');
    expect(second.headers['expires']).toBe(first.headers['expires']);
    expect(second.replyTo).toBe(first.replyTo);
    expect(second.correlationId).toBe(first.id);
    expect(second.deliveryInfo.routing_key).toBe(first.deliveryInfo.routing_key);
    expect(first.eta).toBeNull();
    const eta = second.eta!.getTime();
    expect(eta).toBeGreaterThanOrEqual(runs[0]!.at + 900);
    expect(eta).toBeLessThanOrEqual(runs[0]!.at + 1500);
    expect(runs[1]!.at).toBeGreaterThanOrEqual(eta - 50);
    expect(runs[1]!.at - sentAt).toBeLessThan(5000);
  });

  it('autoretries with exponential backoff until maxRetries, then stores FAILURE with the error', async () => {
    const app = fx.app();
    const runs: Array<{ retries: number; at: number }> = [];
    const always = app.task('sem.always', (ctx: TaskContext) => {
      runs.push({ retries: ctx.request.retries, at: Date.now() });
      throw new ConnErr(`down #${ctx.request.retries}`);
    }, { bind: true, autoretryFor: [ConnErr], retryBackoff: true, retryBackoffMax: 1, retryJitter: false, maxRetries: 2 });
    await fx.worker(app);
    const r = await always.delay();
    await expect(r.get({ timeout: 15 })).rejects.toMatchObject({ name: 'ConnErr', message: expect.stringContaining('down #2') });
    expect(await r.state()).toBe('FAILURE');
    expect(runs.map((x) => x.retries)).toEqual([0, 1, 2]);
    // factor 1, max 1 s: each retry waits min(1, 2^n) = 1 s.
    for (let i = 1; i < runs.length; i++) {
      const gap = runs[i]!.at - runs[i - 1]!.at;
      expect(gap).toBeGreaterThanOrEqual(900);
      expect(gap).toBeLessThan(3000);
    }
  });

  it('fails with MaxRetriesExceededError when retry() has no retries left and no exc', async () => {
    const app = fx.app();
    let runs = 0;
    const t = app.task('sem.max', (ctx: TaskContext) => {
      runs++;
      ctx.retry({ countdown: 0.1, maxRetries: 1 });
    }, { bind: true });
    await fx.worker(app);
    const r = await t.delay();
    await expect(r.get({ timeout: 10 })).rejects.toMatchObject({ name: 'MaxRetriesExceededError', message: expect.stringMatching(/^Can't retry sem\.max\[/) });
    expect(runs).toBe(2);
  });

  it('matches autoretryFor by error name and skips errors in dontAutoretryFor', async () => {
    const app = fx.app();
    const seen: number[] = [];
    const byName = app.task('sem.byname', (ctx: TaskContext, kind: string) => {
      seen.push(ctx.request.retries);
      if (kind === 'type') throw new TypeError('not retried');
      if (ctx.request.retries < 2) throw Object.assign(new Error('reset'), { name: 'ECONNRESET' });
      return 'ok';
    }, { bind: true, autoretryFor: ['ECONNRESET', Error], dontAutoretryFor: ['TypeError'], retryKwargs: { countdown: 0.1 } });
    await fx.worker(app);
    expect(await (await byName.delay('reset')).get({ timeout: 10 })).toBe('ok');
    expect(seen).toEqual([0, 1, 2]);
    seen.length = 0;
    await expect((await byName.delay('type')).get({ timeout: 10 })).rejects.toMatchObject({ name: 'TypeError' });
    expect(seen).toEqual([0]);
  });
});
