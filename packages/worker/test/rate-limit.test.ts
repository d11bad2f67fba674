/**
 * Rate limits on a real broker (Redis db 2): a task type limited to 10/s is held in the worker and
 * released one token at a time, while another type runs at full speed; `task_default_rate_limit`
 * and `worker_disable_rate_limits`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Fixture, until } from './helpers.js';

const fx = new Fixture('redis');
afterAll(() => fx.cleanup());

describe('rate limits', () => {
  it('holds a 10/s task type over ~6 s while 500 tasks of another type finish meanwhile', async () => {
    const app = fx.app({ task_ignore_result: true });
    const slowDone: number[] = [];
    const fastDone: number[] = [];
    const slow = app.task('sem.slow', () => { slowDone.push(Date.now()); }, { rateLimit: '10/s' });
    const fast = app.task('sem.fast', () => { fastDone.push(Date.now()); });
    const worker = await fx.worker(app, { concurrency: 50 });
    const start = Date.now();
    await Promise.all(Array.from({ length: 60 }, () => slow.delay()));
    await Promise.all(Array.from({ length: 500 }, () => fast.delay()));
    expect(await until(() => fastDone.length === 500, 10_000)).toBe(true);
    expect(await until(() => slowDone.length === 60, 15_000)).toBe(true);

    const slowSpan = (slowDone.at(-1)! - start) / 1000;
    expect(slowSpan).toBeGreaterThanOrEqual(5);
    expect(slowSpan).toBeLessThanOrEqual(8);
    // The other type was not held back: all 500 done long before the rate-limited ones.
    expect(fastDone.at(-1)!).toBeLessThan(slowDone.at(-1)! - 2000);
    // No one-second window saw more than the rate allows (with slack for timer jitter).
    const windows = new Map<number, number>();
    for (const t of slowDone) windows.set(Math.floor((t - start) / 1000), (windows.get(Math.floor((t - start) / 1000)) ?? 0) + 1);
    expect(Math.max(...windows.values())).toBeLessThanOrEqual(12);
    expect(worker.stats.succeeded).toBe(560);
  });

  it('applies task_default_rate_limit to tasks without their own, unless worker_disable_rate_limits', async () => {
    const limited = fx.app({ task_default_rate_limit: '20/s', task_ignore_result: true });
    const doneA: number[] = [];
    const a = limited.task('sem.defaultlimited', () => { doneA.push(Date.now()); });
    await fx.worker(limited);
    const startA = Date.now();
    await Promise.all(Array.from({ length: 15 }, () => a.delay()));
    expect(await until(() => doneA.length === 15)).toBe(true);
    expect(doneA.at(-1)! - startA).toBeGreaterThanOrEqual(600);

    const disabled = fx.app({ task_default_rate_limit: '1/s', worker_disable_rate_limits: true, task_ignore_result: true });
    const doneB: number[] = [];
    const b = disabled.task('sem.disabled', () => { doneB.push(Date.now()); }, { rateLimit: '1/s' });
    await fx.worker(disabled);
    const startB = Date.now();
    await Promise.all(Array.from({ length: 15 }, () => b.delay()));
    expect(await until(() => doneB.length === 15)).toBe(true);
    expect(doneB.at(-1)! - startB).toBeLessThan(2000);
  });
});
