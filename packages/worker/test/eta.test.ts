/**
 * ETA/countdown on a real broker (Redis db 2): tasks run in ETA order close to their ETA, expired
 * tasks become REVOKED, and `worker_eta_task_limit` bounds what a worker holds when 100,000 ETA
 * tasks wait on the broker.
 */
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTracked } from '@cq/tooling/testing';
import { Fixture, REDIS_URL, until } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const publisher = fileURLToPath(new URL('./fixtures/publish-eta.ts', import.meta.url));

/** Publishes `count` ETA tasks from a child process; resolves when it exits 0. */
function publishFromChild(queue: string, count: number, eta: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', publisher, REDIS_URL, queue, String(count), eta.toISOString()], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited with ${code}`))));
  });
}

/** Heap in use after a full collection (V8's gc made callable without --expose-gc). */
function heapAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}

const fx = new Fixture('redis');
const fxAmqp = new Fixture('amqp');
afterAll(async () => {
  await fx.cleanup();
  await fxAmqp.cleanup();
}, 60_000);

describe('eta and countdown', () => {
  it('runs tasks in ETA order, each within 100 ms of its ETA on an idle worker', async () => {
    const app = fx.app({ task_ignore_result: true });
    const ran: Array<{ n: number; at: number }> = [];
    const t = app.task('sem.at', (n: number) => { ran.push({ n, at: Date.now() }); });
    await fx.worker(app);
    const base = Date.now() + 800;
    const etas = Array.from({ length: 10 }, (_, i) => base + i * 150 + (i % 3) * 20);
    const order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4];
    for (const i of order) await t.applyAsync([i], { eta: new Date(etas[i]!) });
    // The process's own timer lateness (a loaded CI machine starves every timer alike) is allowed on top.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    expect(await until(() => ran.length === 10, 8000)).toBe(true);
    loopDelay.disable();
    expect(ran.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const late = ran.map((r) => r.at - etas[r.n]!);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(-5);
    expect(Math.max(...late)).toBeLessThanOrEqual(100 + loopDelay.max / 1e6);
  });

  it('stores REVOKED for tasks whose expires passed, on receipt or while held for their ETA', async () => {
    const app = fx.app();
    let runs = 0;
    const t = app.task('sem.expiring', () => { runs++; return 'ran'; });
    await fx.worker(app);
    const already = await t.applyAsync([], { expires: new Date(Date.now() - 1000) });
    const whileHeld = await t.applyAsync([], { countdown: 0.6, expires: 0.3 });
    const fine = await t.applyAsync([], { countdown: 0.2, expires: 30 });
    expect(await fine.get({ timeout: 5 })).toBe('ran');
    await expect(already.get({ timeout: 5 })).rejects.toMatchObject({ name: 'TaskRevokedError' });
    await expect(whileHeld.get({ timeout: 5 })).rejects.toMatchObject({ name: 'TaskRevokedError' });
    expect(await whileHeld.state()).toBe('REVOKED');
    expect(runs).toBe(1);
  });

  it('holds at most worker_eta_task_limit of 100,000 ETA tasks; the rest stay on the broker', async () => {
    const app = fx.app({ worker_eta_task_limit: 1000, task_ignore_result: true });
    // Celery's way, held in worker memory; cq's broker-side ETA would park them all (broker-eta.test.ts).
    app.conf.broker_transport_options = { ...app.conf.broker_transport_options, store_eta: false };
    const queue = app.conf.task_default_queue;
    app.task('sem.later', () => undefined);
    const worker = await fx.worker(app, { concurrency: 10 });
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = heapAfterGc();
    let maxHeld = 0;
    const sampler = setInterval(() => { maxHeld = Math.max(maxHeld, worker.scheduledCount); }, 25);
    try {
      const total = 100_000;
      await publishFromChild(queue, total, new Date(Date.now() + 3600_000));
      expect(await until(() => worker.scheduledCount >= 1000, 10_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      maxHeld = Math.max(maxHeld, worker.scheduledCount);
      expect(worker.scheduledCount).toBe(1000);
      expect(maxHeld).toBeLessThanOrEqual(1000);
      expect(await fx.queueLength(app, queue)).toBe(total - 1000);
      // Holding 1,000 instead of 100,000 requests (bodies, headers, timers): the worker keeps a
      // few MB, far from the hundreds of MB that holding them all takes.
      const heapGrown = (heapAfterGc() - heapBefore) / 2 ** 20;
      const rssGrown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      expect(heapGrown).toBeLessThan(40);
      expect(rssGrown).toBeLessThan(150);
      expect(worker.stats.processed).toBe(0);
    } finally {
      clearInterval(sampler);
    }
  }, 90_000);

  it('raises the prefetch for held ETA tasks on RabbitMQ, up to worker_eta_task_limit', async () => {
    const app = fxAmqp.app({ worker_prefetch_multiplier: 1, task_ignore_result: true });
    const ran: string[] = [];
    const t = app.task('sem.amqp.eta', (label: string) => { ran.push(label); });
    const worker = await fxAmqp.worker(app, { concurrency: 1 });
    for (let i = 0; i < 3; i++) await t.applyAsync([`later${i}`], { countdown: 2 });
    await t.applyAsync(['now']);
    // Prefetch 1, raised by one per held ETA task: the due task gets through before the ETAs.
    expect(await until(() => ran.includes('now'), 1500)).toBe(true);
    expect(worker.scheduledCount).toBe(3);
    expect(await until(() => ran.length === 4, 10_000)).toBe(true);

    // With worker_eta_task_limit 3 the worker holds 3 and leaves the rest on the broker.
    const capped = fxAmqp.app({ worker_prefetch_multiplier: 1, worker_eta_task_limit: 3, task_ignore_result: true });
    const c = capped.task('sem.amqp.capped', () => undefined);
    const cappedWorker = await fxAmqp.worker(capped, { concurrency: 1 });
    for (let i = 0; i < 5; i++) await c.applyAsync([], { countdown: 30 });
    expect(await until(() => cappedWorker.scheduledCount === 3, 3000)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(cappedWorker.scheduledCount).toBe(3);
    expect(await fxAmqp.queueLength(capped, capped.conf.task_default_queue)).toBe(2);
  }, 20_000);
});
