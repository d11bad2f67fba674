/**
 * When messages are acknowledged, seen on a real broker (Redis db 2, whose transport keeps delivered
 * but unacknowledged messages in its `unacked` hash): early ack vs `acks_late`, the prefetch window,
 * and what a failure does to an acks-late message (`task_reject_on_worker_lost`,
 * `task_acks_on_failure_or_timeout`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { deferred } from '@cq/vine';
import { WorkerLostError } from '@cq/worker';
import { Fixture, rawRedis, sleep, until } from './helpers.js';

const fx = new Fixture('redis');
const redis = rawRedis();
afterAll(async () => {
  redis.disconnect();
  await fx.cleanup();
});

const unacked = () => redis.hlen(fx.unackedKey);

describe('acknowledgement', () => {
  it('acks before running by default, and after the task returns with acks_late', async () => {
    const app = fx.app();
    const gates = { early: deferred<void>(), late: deferred<void>() };
    const running = { early: deferred<void>(), late: deferred<void>() };
    const early = app.task('sem.early', async () => { running.early.resolve(); await gates.early.promise; return 'e'; });
    const late = app.task('sem.late', async () => { running.late.resolve(); await gates.late.promise; return 'l'; }, { acksLate: true });
    await fx.worker(app);

    const e = await early.delay();
    await running.early.promise;
    expect(await until(async () => (await unacked()) === 0, 2000)).toBe(true);
    await sleep(100);
    expect(await unacked()).toBe(0);
    gates.early.resolve();
    expect(await e.get({ timeout: 5 })).toBe('e');

    const l = await late.delay();
    await running.late.promise;
    await sleep(100);
    expect(await unacked()).toBe(1);
    gates.late.resolve();
    expect(await l.get({ timeout: 5 })).toBe('l');
    expect(await until(async () => (await unacked()) === 0, 2000)).toBe(true);
  });

  it('takes no more than concurrency × worker_prefetch_multiplier unacked messages', async () => {
    const app = fx.app({ worker_prefetch_multiplier: 1 });
    const gate = deferred<void>();
    let started = 0;
    const t = app.task('sem.window', async () => { started++; await gate.promise; }, { acksLate: true, ignoreResult: true });
    await fx.worker(app, { concurrency: 2 });
    await Promise.all(Array.from({ length: 5 }, () => t.delay()));
    expect(await until(() => started === 2)).toBe(true);
    await sleep(200);
    expect(started).toBe(2);
    expect(await unacked()).toBe(2);
    expect(await fx.queueLength(app, app.conf.task_default_queue)).toBe(3);
    gate.resolve();
    expect(await until(() => started === 5)).toBe(true);
  });

  it('requeues an acks-late task whose worker was lost only with reject_on_worker_lost', async () => {
    const app = fx.app({ task_acks_late: true });
    const runs = new Map<string, number>();
    const body = (key: string) => {
      const n = (runs.get(key) ?? 0) + 1;
      runs.set(key, n);
      if (n === 1) throw new WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL).');
      return `${key}:${n}`;
    };
    const requeued = app.task('sem.lost.requeue', () => body('requeue'), { rejectOnWorkerLost: true });
    const failed = app.task('sem.lost.fail', () => body('fail'));
    await fx.worker(app);
    expect(await (await requeued.delay()).get({ timeout: 5 })).toBe('requeue:2');
    const f = await failed.delay();
    await expect(f.get({ timeout: 5 })).rejects.toMatchObject({ name: 'WorkerLostError' });
    await sleep(300);
    expect(runs.get('fail')).toBe(1);

    // task_acks_on_failure_or_timeout = false: a failed acks-late message is rejected, not requeued.
    const noAck = fx.app({ task_acks_late: true, task_acks_on_failure_or_timeout: false });
    let tries = 0;
    const boom = noAck.task('sem.noack', () => { tries++; throw new Error('boom'); });
    await fx.worker(noAck);
    await expect((await boom.delay()).get({ timeout: 5 })).rejects.toMatchObject({ message: 'boom' });
    await sleep(300);
    expect(tries).toBe(1);
    expect(await fx.queueLength(noAck, noAck.conf.task_default_queue)).toBe(0);
  });
});
