/**
 * cq issue 3 on Redis: a private redis-server (append-only file on, as production Redis runs) is
 * stopped with SIGTERM and started again on the same port while a worker consumes and a client
 * publishes. Also pins down what a restart keeps: with `appendonly no` the queued messages are gone
 * (Redis's durability, not cq's); the client and worker still carry on.
 */
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/celery';
import { PrivateRedis, execFileTracked } from '@cq/tooling/testing';
import { expectNothingLost, restartUnderLoad, summary } from './restart-under-load.js';

const run = promisify(execFileTracked);

/** `redis-cli -p <port> <command...>`, the reply as a number. */
async function count(port: number, ...command: string[]): Promise<number> {
  return Number((await run('redis-cli', ['-p', String(port), ...command])).stdout.trim());
}

/**
 * Task messages still in the queue or in `unacked` after the worker stopped, by task number: copies
 * of tasks that already ran (a publish retried after Redis had stored it, or a delivery restored) that
 * would run again later, as at-least-once delivery allows.
 */
async function leftovers(port: number, queue: string): Promise<number[]> {
  const list = (await run('redis-cli', ['-p', String(port), '--raw', 'lrange', queue, '0', '-1'])).stdout;
  const held = (await run('redis-cli', ['-p', String(port), '--raw', 'hvals', 'unacked'])).stdout;
  const numbers: number[] = [];
  for (const line of `${list}\n${held}`.split('\n')) {
    const match = /"body":\s*"([^"]+)"/.exec(line);
    if (match) numbers.push((JSON.parse(Buffer.from(match[1]!, 'base64').toString()) as [[number]])[0][0]);
  }
  return numbers;
}

/**
 * Redis can exit right after running a command whose reply it never sends. For the `take` script that
 * leaves its messages recorded in `unacked` but undelivered; as in kombu they come back once older than
 * `visibility_timeout` (1 h by default), shortened here to 5 s so the test sees them run.
 */
const workerEnv = { CQ_TEST_VISIBILITY_TIMEOUT: '5' };

describe('Redis restarted under a running worker and a publishing client', () => {
  let redis: PrivateRedis;
  beforeAll(async () => { redis = await PrivateRedis.start({ appendonly: true }); });
  afterAll(async () => { await redis?.destroy(); });

  it('both reconnect and carry on: every published task runs, none is lost', async () => {
    const outcome = await restartUnderLoad({ broker: redis.url, workerEnv, restart: () => redis.restart() });
    const left = await leftovers(redis.port, outcome.queue);
    console.info(`${summary('redis restart', outcome)}; copies left queued or unacked: ${left.length} [${left.join(', ')}]`);
    expectNothingLost(outcome);
  }, 90_000);

  it('a publish failing during a 12 s outage is retried per task_publish_retry_policy, not lost', async () => {
    // ioredis gives up on a queued command after ~10 s of reconnecting (maxRetriesPerRequest 20):
    // without task_publish_retry that publish would reject.
    const outcome = await restartUnderLoad({
      broker: redis.url,
      workerEnv,
      total: 600,
      paceMs: 6000,
      restart: async () => {
        await redis.stop();
        await new Promise((r) => setTimeout(r, 12_000));
        await redis.start();
      },
    });
    const left = await leftovers(redis.port, outcome.queue);
    console.info(`${summary('redis 12 s outage', outcome)}; copies left queued or unacked: ${left.length} [${left.join(', ')}]`);
    expectNothingLost(outcome);
  }, 90_000);
});

describe('task_publish_retry during a Redis outage', () => {
  it('with it, publishes wait out a 12 s outage; without it, they reject once ioredis gives up', async () => {
    const redis = await PrivateRedis.start();
    const retrying = new Celery('retrying', { task_default_queue: 'retrying' }).configure({ brokerUrl: redis.url });
    const giving = new Celery('giving-up', { task_default_queue: 'giving', task_publish_retry: false }).configure({ brokerUrl: redis.url });
    const failures = { retrying: [] as string[], giving: [] as string[] };
    const sent = { retrying: 0, giving: 0 };
    let outage = true;
    const publishing = (client: Celery, name: 'retrying' | 'giving') => (async () => {
      for (let i = 0; outage; i++) {
        try {
          await client.sendTask('proj.slow', [i, 0], { ignoreResult: true });
          sent[name]++;
        } catch (err) {
          failures[name].push(String(err));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await retrying.sendTask('proj.slow', [-1, 0], { ignoreResult: true });
      await giving.sendTask('proj.slow', [-1, 0], { ignoreResult: true });
      const loops = [publishing(retrying, 'retrying'), publishing(giving, 'giving')];
      await redis.stop();
      await new Promise((r) => setTimeout(r, 12_000));
      await redis.start();
      await new Promise((r) => setTimeout(r, 500));
      outage = false;
      await Promise.all(loops);
      console.info(`redis 12 s outage, publish retry on: ${sent.retrying} sent, ${failures.retrying.length} failed; off: ${sent.giving} sent, ${failures.giving.length} failed`);
      expect(failures.retrying).toEqual([]);
      expect(failures.giving.length).toBeGreaterThan(0);
      expect(failures.giving[0]).toMatch(/ConnectionError/);
      expect(await count(redis.port, 'llen', 'retrying')).toBe(sent.retrying + 1);
    } finally {
      outage = false;
      await retrying.close();
      await giving.close();
      await redis.destroy();
    }
  }, 40_000);
});

describe('what a Redis restart keeps of a queue no worker consumes', () => {
  it.each([
    { appendonly: true, kept: 50, what: 'all 50' },
    { appendonly: false, kept: 0, what: 'none' },
  ])('appendonly $appendonly: queued messages kept: $what; publishing carries on', async ({ appendonly, kept }) => {
    const redis = await PrivateRedis.start({ appendonly });
    const client = new Celery('chaos-client', { task_default_queue: 'backlog' }).configure({ brokerUrl: redis.url });
    try {
      for (let i = 0; i < 50; i++) await client.sendTask('proj.slow', [i, 0], { ignoreResult: true });
      expect(await count(redis.port, 'llen', 'backlog')).toBe(50);
      await redis.restart();
      expect(await count(redis.port, 'llen', 'backlog')).toBe(kept);
      await client.sendTask('proj.slow', [50, 0], { ignoreResult: true });
      expect(await count(redis.port, 'llen', 'backlog')).toBe(kept + 1);
    } finally {
      await client.close();
      await redis.destroy();
    }
  }, 30_000);
});
