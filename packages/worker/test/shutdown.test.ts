/**
 * Shutdown stages on real brokers (Redis DB 1, RabbitMQ): warm finishes the running task and gives
 * prefetched and ETA-held messages back; soft cancels a task still running after
 * `worker_soft_shutdown_timeout` and requeues its acks-late message; cold cancels at once, and a
 * harder stage asked while stopping escalates the shutdown under way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { task_postrun, task_prerun, task_retry, worker_shutting_down, type TaskContext } from '@cq/app';
import { Worker, WorkerTerminate } from '@cq/worker';
import { BROKERS, rig, waitFor, type Rig } from './boot-helpers.js';

let current: Rig | null = null;
const offs: Array<() => void> = [];
afterEach(async () => {
  for (const off of offs.splice(0)) off();
  await current?.cleanup();
  current = null;
});

/** Records the ids of tasks that started (task_prerun). */
function started(): Set<string> {
  const ids = new Set<string>();
  offs.push(task_prerun.connect(({ taskId }) => void ids.add(taskId)));
  return ids;
}

describe.each(BROKERS)('worker shutdown on %s', (_name, brokerUrl) => {
  it('warm: finishes the running task, requeues the prefetched and ETA-held ones', async () => {
    const r = (current = rig(brokerUrl));
    const sleepy = r.app.task('boot.sleepy', async (n: number) => {
      await new Promise((res) => setTimeout(res, 600));
      return n;
    }, { acksLate: true });
    const ran = started();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await sleepy.delay(i));
    const held = await sleepy.applyAsync([99], { countdown: 60 });
    const worker = new Worker(r.app, { concurrency: 1, prefetchMultiplier: 5 });
    await worker.start();
    await waitFor(() => ran.size === 1 && worker.pool.waiting === 3 && worker.scheduledCount === 1, 15_000, 'one running, three prefetched, one held');
    await worker.stop();
    expect(worker.state).toBe('stopped');
    expect(worker.restored).toBe(4);
    const [first] = [...ran];
    const done = results.find((res) => res.id === first)!;
    expect(await done.state()).toBe('SUCCESS');
    for (const res of results.filter((x) => x.id !== first)) expect(await res.state()).toBe('PENDING');
    expect(await held.state()).toBe('PENDING');
    await waitFor(async () => (await r.messageCount()) === 4, 10_000, '4 messages back in the queue');

    const second = new Worker(r.app, { concurrency: 4 });
    await second.start();
    expect((await Promise.all(results.map((res) => res.get({ timeout: 20 })))).sort()).toEqual([0, 1, 2, 3]);
    await second.stop();
  });

  it('soft: lets the task run worker_soft_shutdown_timeout s, then cancels it; its acks-late message is requeued', async () => {
    const r = (current = rig(brokerUrl, { worker_soft_shutdown_timeout: 1 }));
    let reason: unknown = null;
    const long = r.app.task('boot.long', (ctx: TaskContext) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve('finished'), 30_000);
      ctx.signal.addEventListener('abort', () => {
        reason = ctx.signal.reason;
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    }), { bind: true, acksLate: true });
    const ran = started();
    const retried: Array<{ id: string; reason: unknown; einfo: unknown }> = [];
    const postrun: string[] = [];
    offs.push(task_retry.connect(({ request, reason: why, einfo }) => void retried.push({ id: request.id, reason: why, einfo })));
    offs.push(task_postrun.connect(({ taskId }) => void postrun.push(taskId)));
    const res = await long.delay();
    const worker = new Worker(r.app, { concurrency: 2 });
    await worker.start();
    await waitFor(() => ran.has(res.id), 15_000, 'the long task to start');
    const t0 = Date.now();
    await worker.shutdown('soft');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    expect(reason).toBeInstanceOf(WorkerTerminate);
    expect(retried).toEqual([{ id: res.id, reason: null, einfo: null }]);
    expect(postrun).toEqual([]);
    expect(await res.state()).toBe('RETRY');
    expect(worker.restored).toBe(1);
    await waitFor(async () => (await r.messageCount()) === 1, 10_000, 'the message back in the queue');
  });

  it('soft: returns as soon as the running tasks finish within the timeout', async () => {
    const r = (current = rig(brokerUrl, { worker_soft_shutdown_timeout: 20 }));
    const quick = r.app.task('boot.quick', async () => {
      await new Promise((res) => setTimeout(res, 300));
      return 'ok';
    }, { acksLate: true });
    const ran = started();
    const res = await quick.delay();
    const worker = new Worker(r.app);
    await worker.start();
    await waitFor(() => ran.has(res.id), 15_000, 'the task to start');
    const t0 = Date.now();
    await worker.shutdown('soft');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await res.get({ timeout: 5 })).toBe('ok');
    expect(await r.messageCount()).toBe(0);
  });

  it('soft: waits the whole timeout when idle only with worker_enable_soft_shutdown_on_idle; cold during soft cancels at once', async () => {
    const r = (current = rig(brokerUrl, { worker_soft_shutdown_timeout: 0.6, worker_enable_soft_shutdown_on_idle: true }));
    const idle = new Worker(r.app);
    await idle.start();
    let t0 = Date.now();
    await idle.shutdown('soft');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);

    r.app.conf.worker_soft_shutdown_timeout = 30;
    r.app.conf.worker_enable_soft_shutdown_on_idle = false;
    const long = r.app.task('boot.long2', (ctx: TaskContext) => new Promise((_, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
    }), { bind: true, acksLate: true });
    const ran = started();
    const res = await long.delay();
    const worker = new Worker(r.app);
    await worker.start();
    await waitFor(() => ran.has(res.id), 15_000, 'the task to start');
    t0 = Date.now();
    const soft = worker.shutdown('soft');
    await new Promise((res2) => setTimeout(res2, 200));
    expect(worker.state).toBe('stopping');
    await worker.shutdown('cold');
    await soft;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await res.state()).toBe('RETRY');
    await waitFor(async () => (await r.messageCount()) === 1, 10_000, 'the message back in the queue');
  });

  it('cold, asked during a warm shutdown: cancels at once; what the function does afterwards is ignored', async () => {
    const r = (current = rig(brokerUrl));
    // Ignores its signal: the async pool cannot kill it, the worker must stop waiting for it.
    const stubborn = r.app.task('boot.stubborn', async () => {
      await new Promise((res) => setTimeout(res, 1500));
      return 'too late';
    }, { acksLate: true });
    const ran = started();
    const stages: Array<[string, string | null, number]> = [];
    offs.push(worker_shutting_down.connect(({ how, sig, exitcode }) => void stages.push([how, sig, exitcode])));
    const res = await stubborn.delay();
    const worker = new Worker(r.app);
    await worker.start();
    await waitFor(() => ran.has(res.id), 15_000, 'the task to start');
    const t0 = Date.now();
    const warm = worker.stop();
    await new Promise((res2) => setTimeout(res2, 200));
    expect(worker.state).toBe('stopping');
    const cold = worker.shutdown('cold', { sig: 'SIGQUIT' });
    expect(cold).toBe(warm);
    await cold;
    expect(Date.now() - t0).toBeLessThan(1400);
    expect(stages).toEqual([['warm', null, 0], ['cold', 'SIGQUIT', 1]]);
    await worker.shutdown('warm');
    expect(stages).toHaveLength(2);
    await new Promise((res2) => setTimeout(res2, 1600));
    expect(await res.state()).toBe('RETRY');
    expect(worker.stats.succeeded).toBe(0);
    expect(await r.messageCount()).toBe(1);
  });
});
