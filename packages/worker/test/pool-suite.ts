/**
 * The behaviour suite of the process pools, run once per kind (pool-prefork.test.ts,
 * pool-threads.test.ts): a `Worker` given `appModule` runs each task function in a child that loads
 * test/fixtures/pool-app.ts; broker and results on Redis db 1, a fresh `cqt.pool.` queue per file.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger, type AsyncResult } from '@cq/app';
import { Control } from '@cq/control';
import { ProcessPool, Worker, type WorkerOptions } from '@cq/worker';
import { app } from './fixtures/pool-app.js';

const APP_MODULE = fileURLToPath(new URL('./fixtures/pool-app.ts', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${check.toString()}`);
    await sleep(20);
  }
}

export function describePool(kind: 'prefork' | 'threads'): void {
  const queue = `cqt.pool.${kind}.${randomUUID().slice(0, 8)}`;
  const unacked = `${queue}.unacked`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-pool-'));
  const shutdownDir = path.join(dir, 'shutdown');
  mkdirSync(shutdownDir);
  const ids: string[] = [];
  const workers: Worker[] = [];

  async function send(name: string, args: unknown[], options: { timeLimit?: number; softTimeLimit?: number } = {}): Promise<AsyncResult<unknown>> {
    const result = await app.tasks.get(name)!.applyAsync(args, options);
    ids.push(result.id);
    return result;
  }

  async function startWorker(options: WorkerOptions = {}): Promise<Worker> {
    const worker = new Worker(app, { appModule: APP_MODULE, pool: kind, concurrency: 2, log: app.log, ...options });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  const children = (w: Worker): number[] => (w.pool as ProcessPool).pids;

  beforeAll(() => {
    app.conf.task_default_queue = queue;
    app.conf.broker_transport_options = { unacked_key: unacked, unacked_index_key: `${unacked}_index`, unacked_mutex_key: `${unacked}_mutex` };
    app.log = createLogger({ level: 'critical' });
    process.env['CQ_POOL_SHUTDOWN_DIR'] = shutdownDir; // read by the children's worker_process_shutdown receiver
  });

  afterAll(async () => {
    for (const w of workers) await w.shutdown('cold').catch(() => undefined);
    const conn = app.connection();
    const channel = await conn.channel();
    await channel.deleteQueue(queue).catch(() => undefined);
    await conn.close();
    await app.close();
    const redis = new Redis('redis://127.0.0.1:6379/1');
    await redis.del(unacked, `${unacked}_index`, `${unacked}_mutex`, ...ids.map((id) => `celery-task-meta-${id}`));
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(`${kind} pool (Worker with appModule)`, () => {
    let worker: Worker;
    beforeAll(async () => {
      worker = await startWorker();
    });
    afterAll(() => worker.stop());

    it('runs tasks in children: results cross, worker_process_init ran there, and exceptions keep their type name', async () => {
      expect(worker.pool.name).toBe(kind);
      expect(await (await send('pool.add', [2, 3])).get({ timeout: 10 })).toBe(5);
      const who = (await (await send('pool.whoami', [])).get({ timeout: 10 })) as { child: number; parentless: number; processInit: string };
      expect(children(worker)).toContain(who.child);
      expect(who.processInit).toBe('sent');
      if (kind === 'prefork') expect(who.child).not.toBe(process.pid);
      const failed = await send('pool.fail', ['bad input']);
      await expect(failed.get({ timeout: 10 })).rejects.toMatchObject({ name: 'ValidationError', message: 'bad input' });
      expect((await failed.meta()).result).toMatchObject({ exc_type: 'ValidationError', exc_message: ['bad input'] });
    });

    it('kills a busy-looping task at its hard limit (FAILURE TimeLimitExceeded) while the other child keeps serving', async () => {
      const busy = await send('pool.busy', [], { timeLimit: 3 });
      await until(() => worker.activeRequests.size === 1);
      const before = children(worker);
      let servedMeanwhile = 0;
      while ((await busy.state()) !== 'FAILURE') {
        expect(await (await send('pool.sleep', [20])).get({ timeout: 10 })).toEqual(expect.any(Number));
        if ((await busy.state()) !== 'FAILURE') servedMeanwhile++;
      }
      expect(servedMeanwhile).toBeGreaterThan(0);
      expect((await busy.meta()).result).toMatchObject({ exc_type: 'TimeLimitExceeded', exc_module: 'celery.exceptions' });
      await until(() => children(worker).length === 2);
      expect(children(worker)).not.toEqual(before); // the killed child was replaced
      expect(await (await send('pool.add', [1, 1])).get({ timeout: 10 })).toBe(2);
    });

    it('aborts ctx.signal at the soft limit with @cq/app SoftTimeLimitExceeded; the task catches it and returns', async () => {
      const soft = await send('pool.soft', [], { softTimeLimit: 0.3 });
      expect(await soft.get({ timeout: 10 })).toBe('caught SoftTimeLimitExceeded (app class: true)');
    });

    const how = kind === 'prefork' ? 'sleep' : 'exit'; // a thread cannot be SIGKILLed: it exits instead
    async function loseChild(task: string): Promise<AsyncResult<unknown>> {
      const file = path.join(dir, `${task}-${randomUUID()}`);
      const result = await send(task, [file, how]);
      await until(() => existsSync(file) && readFileSync(file, 'utf8') !== '');
      const pid = Number(readFileSync(file, 'utf8'));
      if (kind === 'prefork') {
        expect(children(worker)).toContain(pid);
        process.kill(pid, 'SIGKILL');
      }
      return result;
    }

    it(`a child lost mid-task (${kind === 'prefork' ? 'SIGKILL' : 'the thread exits'}) with acks_late: FAILURE WorkerLostError`, async () => {
      const lost = await loseChild('pool.lose');
      await expect(lost.get({ timeout: 15 })).rejects.toMatchObject({ name: 'WorkerLostError' });
      expect((await lost.meta()).result).toMatchObject({ exc_type: 'WorkerLostError', exc_message: [expect.stringMatching(/^Worker exited prematurely/)] });
    });

    it('a child lost mid-task with acks_late + reject_on_worker_lost: the message is requeued and the task runs again', async () => {
      const lost = await loseChild('pool.loseRequeue');
      expect(await lost.get({ timeout: 15 })).toBe('second run');
    });

    it('ctx.retry() in a child: the Retry crosses back, the parent re-sends, the task succeeds on the third run', async () => {
      expect(await (await send('pool.flaky', [4])).get({ timeout: 10 })).toEqual({ n: 40, retries: 2 });
    });

    it('ctx.updateState() from a child stores through its own backend: the client reads PROGRESS', async () => {
      const progress = await send('pool.progress', [1_500]);
      await until(async () => (await progress.state()) === 'PROGRESS');
      expect(await progress.info()).toEqual({ done: 50 });
      expect(await progress.get({ timeout: 10 })).toBe('done');
    });
  });

  describe(`${kind} pool: a task prefetched in a child`, () => {
    it('is acked (early ack) and counted active only when the child begins it, as Celery acks on accept', async () => {
      const worker = await startWorker({ concurrency: 1 });
      const redis = new Redis('redis://127.0.0.1:6379/1');
      try {
        const slow = await send('pool.sleep', [1_500]);
        const next = await send('pool.add', [1, 2]);
        await until(() => worker.activeRequests.size === 1 && (worker.pool as ProcessPool).children.queued === 1);
        // The running task's message is acked; the one waiting in the child behind it is not.
        await until(async () => (await redis.hlen(unacked)) === 1);
        expect(await redis.hkeys(unacked)).toHaveLength(1);
        expect([...worker.activeRequests].map((r) => r.id)).toEqual([slow.id]);
        expect([...worker.reservedRequests].map((r) => r.id)).toEqual([next.id]);
        expect(await next.get({ timeout: 10 })).toBe(3);
        await until(async () => (await redis.hlen(unacked)) === 0);
      } finally {
        redis.disconnect();
        await worker.stop();
      }
    });

    it('is taken out of the child and stored REVOKED when revoked (without terminate) before it begins', async () => {
      const worker = await startWorker({ concurrency: 1 });
      const control = new Control(app);
      try {
        const slow = await send('pool.sleep', [1_500]);
        const next = await send('pool.add', [2, 3]);
        await until(() => worker.activeRequests.size === 1 && (worker.pool as ProcessPool).children.queued === 1);
        expect(await control.revoke(next.id, { destination: [worker.hostname], reply: true, timeout: 5 }))
          .toEqual([{ [worker.hostname]: { ok: `tasks ${next.id} flagged as revoked` } }]);
        expect((worker.pool as ProcessPool).children.queued).toBe(0);
        expect(await next.state()).toBe('REVOKED');
        expect(typeof await slow.get({ timeout: 10 })).toBe('number');
        await sleep(200);
        expect(await next.state()).toBe('REVOKED'); // it never ran
        expect(worker.reservedRequests.size).toBe(0);
        expect(worker.stats).toMatchObject({ succeeded: 1, retried: 0, failed: 0 }); // a revoke is not a retry
      } finally {
        await control.close();
        await worker.stop();
      }
    });
  });

  describe(`${kind} pool with maxTasksPerChild`, () => {
    it('replaces a child after 2 tasks; a warm stop runs worker_process_shutdown in each child', async () => {
      const worker = await startWorker({ concurrency: 1, maxTasksPerChild: 2 });
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) seen.push(((await (await send('pool.whoami', [])).get({ timeout: 10 })) as { child: number }).child);
      const counts = new Map<number, number>();
      for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect(counts.size).toBeGreaterThanOrEqual(3);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
      const last = children(worker);
      await worker.stop();
      expect(readdirSync(shutdownDir)).toEqual(expect.arrayContaining(last.map(String)));
    });
  });
}
