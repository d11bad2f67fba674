/**
 * Enqueue-time deduplication end to end (@cq/tooling/testing `describeEnqueueDeduplication`) with an
 * in-process worker on:
 * Redis (keys in the broker), SQLite (rows in the broker file), and RabbitMQ, which keeps no keys, with
 * results in Redis (keys in the result backend). Redis db 2 shared with other tests: every key this
 * file writes is behind its own `global_keyprefix`, deleted at the end. Also: RabbitMQ without a result
 * backend rejects with DeduplicationUnsupportedError before sending anything.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, DeduplicationUnsupportedError, getDeduplicationTaskId, type BoundTaskContext, type CelerySettings } from '@cq/app';
import { Worker } from '@cq/worker';
import { sqliteBackend } from '@cq/backend-sqlite';
import { sqliteTransport } from '@cq/transport-sqlite';
import { describeEnqueueDeduplication, type DeduplicationStack } from '@cq/tooling/testing';
import { testPlugins } from './plugins.js';
import { AMQP_URL, REDIS_URL, quietLog, rawRedis, sleep, until } from './helpers.js';

const prefix = `cqt.dedup.${randomUUID().slice(0, 8)}.`;
const dir = mkdtempSync(join(tmpdir(), 'cq-dedup-'));
const amqpQueues = new Set<string>();

afterAll(async () => {
  const redis = rawRedis();
  try {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    redis.disconnect();
  }
  if (amqpQueues.size > 0) {
    const app = new Celery('cleanup', { broker_url: AMQP_URL }, { plugins: testPlugins() });
    const conn = app.connection();
    const channel = await conn.channel();
    for (const q of amqpQueues) {
      await channel.deleteQueue(q).catch(() => 0);
      await channel.deleteExchange(q).catch(() => undefined);
    }
    await conn.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

function makeApp(queue: string, settings: Partial<CelerySettings>): Celery {
  const app = new Celery('dedup', { task_default_queue: queue, result_expires: 600, ...settings }, {
    plugins: [...testPlugins(), sqliteTransport(), sqliteBackend()],
  });
  app.log = quietLog();
  return app;
}

/** The suite's stack on apps made with `settings(queue)`: an in-process `async` worker, clients sending by name. */
function stack(settings: (queue: string) => Partial<CelerySettings>): DeduplicationStack {
  return {
    worker: async (queue, ran) => {
      const app = makeApp(queue, settings(queue));
      app.task('dedup.work', async (n: number, ms: number) => {
        ran(n);
        await sleep(ms);
        return n;
      });
      const worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 10 });
      await worker.start();
      return { stop: async () => { await worker.shutdown('cold'); await app.close(); } };
    },
    client: (queue) => {
      const app = makeApp(queue, settings(queue));
      return {
        send: (n, ms, options) => app.sendTask('dedup.work', [n, ms], options),
        holder: (id) => getDeduplicationTaskId(app, 'dedup.work', id),
        close: () => app.close(),
      };
    },
  };
}

/** Results in Redis db 2, behind this file's prefix. */
const redisResults: Partial<CelerySettings> = {
  result_backend: REDIS_URL,
  ...({ result_backend_transport_options: { global_keyprefix: prefix } } as object), // read by the Redis backend; not in CelerySettings' type
};

describeEnqueueDeduplication('redis broker (keys in the broker)', stack(() => ({
  broker_url: REDIS_URL, broker_transport_options: { global_keyprefix: prefix }, ...redisResults,
})));

describeEnqueueDeduplication('sqlite broker (keys in the broker file)', stack(() => ({
  broker_url: `sqlite:///${join(dir, 'broker.db')}`, result_backend: `sqlite:///${join(dir, 'results.db')}`,
})));

describeEnqueueDeduplication('rabbitmq broker, redis results (keys in the result backend)', stack((queue) => {
  amqpQueues.add(queue);
  return { broker_url: AMQP_URL, ...redisResults };
}));

describe('enqueue-time deduplication without a store', () => {
  it('rejects on RabbitMQ without a result backend, naming the fix, and sends nothing', async () => {
    const queue = `cqt.dedup.none.${randomUUID().slice(0, 8)}`;
    amqpQueues.add(queue);
    const app = makeApp(queue, { broker_url: AMQP_URL });
    try {
      const err = await app.sendTask('dedup.work', [1, 0], { deduplicationId: 'k' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeduplicationUnsupportedError);
      expect((err as Error).message).toMatch(/redis:\/\/ result backend/);
      const conn = app.connection();
      try {
        const channel = await conn.channel();
        expect((await channel.declareQueue(app.queue(queue).toDeclaration())).messageCount).toBe(0);
      } finally {
        await conn.close();
      }
    } finally {
      await app.close();
    }
  });
});

describe('enqueue-time deduplication, simple mode: when the worker releases the key', () => {
  const settings = (): Partial<CelerySettings> => ({
    broker_url: `sqlite:///${join(dir, 'release.db')}`, result_backend: `sqlite:///${join(dir, 'release-results.db')}`,
  });

  it('keeps the key over a retry (same task id) and releases it on FAILURE and on expiry', async () => {
    const queue = `cqt.dedup.release.${randomUUID().slice(0, 8)}`;
    const app = makeApp(queue, settings());
    let attempts = 0;
    app.task('dedup.flaky', (ctx: BoundTaskContext) => {
      attempts++;
      if (attempts === 1) ctx.retry({ countdown: 0.5 });
      throw new Error('broken');
    }, { bind: true });
    app.task('dedup.late', () => 'ran');
    const worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 4 });
    await worker.start();
    const client = makeApp(queue, settings());
    try {
      const id = `flaky-${randomUUID()}`;
      const sent = await client.sendTask('dedup.flaky', [], { deduplicationId: id });
      await until(() => attempts === 1);
      await sleep(200); // the worker has handled the RETRY outcome by now
      // Retrying (RETRY stored, the retry message waits 0.5 s): still pending, still deduplicated.
      expect((await client.sendTask('dedup.flaky', [], { deduplicationId: id })).id).toBe(sent.id);
      await expect(sent.get({ timeout: 15 })).rejects.toThrow('broken');
      expect(attempts).toBe(2);
      expect(await until(async () => (await getDeduplicationTaskId(client, 'dedup.flaky', id)) === null, 5000)).toBe(true);

      // Due in 0.6 s, expired after 0.3 s: the worker revokes it when due, and releases the key.
      const late = `late-${randomUUID()}`;
      const expired = await client.sendTask('dedup.late', [], { deduplicationId: late, countdown: 0.6, expires: 0.3 });
      await expect(expired.get({ timeout: 15 })).rejects.toThrow();
      expect(await expired.state()).toBe('REVOKED');
      expect(await until(async () => (await getDeduplicationTaskId(client, 'dedup.late', late)) === null, 5000)).toBe(true);
    } finally {
      await worker.shutdown('cold');
      await app.close();
      await client.close();
    }
  });

  it('gives a simple key its countdown plus task_deduplication_safety_ttl to live (Redis PEXPIRE), a throttle key its ttl', async () => {
    const queue = `cqt.dedup.ttl.${randomUUID().slice(0, 8)}`;
    const client = makeApp(queue, { broker_url: REDIS_URL, broker_transport_options: { global_keyprefix: prefix }, task_deduplication_safety_ttl: 60 });
    const redis = rawRedis();
    try {
      const id = `ttl-${randomUUID()}`;
      await client.sendTask('dedup.work', [1, 0], { deduplicationId: id, countdown: 10 });
      const simple = await redis.pttl(`${prefix}_cq.dedup.dedup.work\u001f${id}`);
      expect(simple).toBeGreaterThan(69_000);
      expect(simple).toBeLessThanOrEqual(70_000);
      await client.sendTask('dedup.work', [1, 0], { deduplicationId: `${id}.t`, deduplicationTtl: 7 });
      const throttle = await redis.pttl(`${prefix}_cq.dedup.dedup.work\u001f${id}.t`);
      expect(throttle).toBeGreaterThan(6000);
      expect(throttle).toBeLessThanOrEqual(7000);
    } finally {
      redis.disconnect();
      await client.close();
    }
  });
});
