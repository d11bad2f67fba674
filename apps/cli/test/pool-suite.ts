/**
 * `cq worker` with a process pool, on RabbitMQ (queue `cqt.pool.cli.<kind>.<random>`, deleted after)
 * with results in Redis db 1: run once per kind by pool-prefork.test.ts and pool-threads.test.ts. The
 * worker runs with `-c 2 --max-tasks-per-child 2 --time-limit 30`; the tasks are in fixtures/pool-app.ts.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, type AsyncResult } from '@cq/celery';
import { requirePython } from '@cq/tooling/testing';
import { cq, exited, repoRoot, waitFor } from './helpers.js';

const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const REDIS = 'redis://127.0.0.1:6379/1';
const poolApp = path.join(repoRoot, 'apps/cli/test/fixtures/pool-app.ts');

/** `flags` select the pool: none for the default (prefork), or `-P threads`. */
export function describeCliPool(kind: 'prefork' | 'threads', flags: string[]): void {
  describe(`cq worker ${flags.join(' ') || '(default pool)'}`, () => {
    const queue = `cqt.pool.cli.${kind}.${randomUUID().slice(0, 8)}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-cli-pool-'));
    const client = new Celery('client', { task_default_queue: queue }).configure({ brokerUrl: AMQP, resultBackend: REDIS });
    const ids: string[] = [];
    let worker: ChildProcess & { out: string[]; err: string[] };

    const send = async (name: string, args: unknown[], options: { timeLimit?: number; softTimeLimit?: number } = {}): Promise<AsyncResult<unknown>> => {
      const result = await client.sendTask(name, args, options);
      ids.push(result.id);
      return result;
    };

    beforeAll(async () => {
      worker = cq(['worker', '-A', poolApp, '-b', AMQP, '--result-backend', REDIS, '-Q', queue, '-l', 'info', ...flags,
        '-c', '2', '--max-tasks-per-child', '2', '--time-limit', '30']);
      await waitFor(() => worker.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${worker.err.join('')}`);
    });

    afterAll(async () => {
      if (worker.exitCode === null) {
        worker.kill('SIGTERM');
        await exited(worker);
      }
      const conn = client.connection();
      const ch = await conn.channel();
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.deleteExchange(queue).catch(() => undefined);
      await conn.close();
      const backend = await client.backend();
      for (const id of ids) await backend?.forget(id).catch(() => undefined);
      await client.close();
      execFileSync(requirePython(['kombu']), ['-c', 'import sys\nfrom kombu import Connection\nwith Connection(sys.argv[1]) as c: c.default_channel.exchange_delete(sys.argv[2])', AMQP, queue], { timeout: 20_000 });
      rmSync(dir, { recursive: true, force: true });
    });

    it(`prints the pool and its concurrency in the banner: ${kind}`, () => {
      expect(worker.out.join('')).toContain(`.> concurrency: 2 (${kind})`);
    });

    it('runs tasks in children: results cross and exceptions keep their type name', async () => {
      expect(await (await send('pool.add', [2, 3])).get({ timeout: 20 })).toBe(5);
      const who = (await (await send('pool.whoami', [])).get({ timeout: 20 })) as { child: number; pid: number };
      if (kind === 'prefork') expect(who.pid).not.toBe(worker.pid);
      else expect(who.pid).toBe(worker.pid);
      const failed = await send('pool.fail', ['over quota']);
      await expect(failed.get({ timeout: 20 })).rejects.toMatchObject({ name: 'QuotaExceeded', message: 'over quota' });
    });

    it('a busy loop past its hard limit fails with TimeLimitExceeded while the other child keeps serving', async () => {
      const busy = await send('pool.busy', [], { timeLimit: 3 });
      let servedMeanwhile = 0;
      while ((await busy.state()) !== 'FAILURE') {
        expect(await (await send('pool.add', [1, 1])).get({ timeout: 20 })).toBe(2);
        if ((await busy.state()) !== 'FAILURE') servedMeanwhile++;
      }
      expect(servedMeanwhile).toBeGreaterThan(0);
      expect((await busy.meta()).result).toMatchObject({ exc_type: 'TimeLimitExceeded' });
      expect(await (await send('pool.add', [2, 2])).get({ timeout: 20 })).toBe(4);
    });

    it('a soft limit aborts ctx.signal with SoftTimeLimitExceeded; the task catches it and returns', async () => {
      expect(await (await send('pool.soft', [], { softTimeLimit: 0.3 })).get({ timeout: 20 })).toBe('caught SoftTimeLimitExceeded (app class: true)');
    });

    const how = kind === 'prefork' ? 'sleep' : 'exit'; // a thread cannot be SIGKILLed: it exits instead
    const loseChild = async (task: string): Promise<AsyncResult<unknown>> => {
      const file = path.join(dir, `${task}-${randomUUID()}`);
      const result = await send(task, [file, how]);
      await waitFor(() => existsSync(file) && readFileSync(file, 'utf8') !== '', 20_000);
      if (kind === 'prefork') process.kill(Number(readFileSync(file, 'utf8')), 'SIGKILL');
      return result;
    };

    it(`a child lost mid-task (${kind === 'prefork' ? 'SIGKILL' : 'thread exit'}), acks_late: FAILURE WorkerLostError`, async () => {
      const lost = await loseChild('pool.lose');
      await expect(lost.get({ timeout: 20 })).rejects.toMatchObject({ name: 'WorkerLostError' });
    });

    it('a child lost mid-task, acks_late + reject_on_worker_lost: requeued, runs again and succeeds', async () => {
      expect(await (await loseChild('pool.loseRequeue')).get({ timeout: 20 })).toBe('second run');
    });

    it('ctx.retry() from a child re-sends the task until it succeeds', async () => {
      expect(await (await send('pool.flaky', [4])).get({ timeout: 20 })).toEqual({ n: 40, retries: 2 });
    });

    it('ctx.updateState() from a child is readable by the client', async () => {
      const progress = await send('pool.progress', [1_500]);
      await waitFor(async () => (await progress.state()) === 'PROGRESS', 20_000);
      expect(await progress.info()).toEqual({ done: 50 });
      expect(await progress.get({ timeout: 20 })).toBe('done');
    });

    it('--max-tasks-per-child 2 replaces children: no child runs more than 2 tasks', async () => {
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) seen.push(((await (await send('pool.whoami', [])).get({ timeout: 20 })) as { child: number }).child);
      const counts = new Map<number, number>();
      for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect(counts.size).toBeGreaterThanOrEqual(3);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    });
  });
}
