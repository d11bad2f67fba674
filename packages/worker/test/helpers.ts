/**
 * Shared setup of the worker's broker-backed tests: Redis db 2 (broker and results) and RabbitMQ,
 * every queue named `cqt.sem.<what>.<random>`, and a cleanup that stops workers, closes apps and
 * deletes what the tests created (queues, exchanges, result keys, unacked hashes).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Celery, createLogger, type CelerySettings, type Logger } from '@cq/app';
import { Worker, type WorkerOptions } from '@cq/worker';
import { testPlugins } from './plugins.js';

export const REDIS_URL = 'redis://127.0.0.1:6379/2';
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//';

export const uniq = (what: string): string => `cqt.sem.${what}.${randomUUID().slice(0, 8)}`;

/** A plain client on db 2, for reading raw keys. */
export function rawRedis(): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, db: 2, lazyConnect: false });
}

export const quietLog = (): Logger => createLogger({ level: 'critical' });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes; returns the last answer. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(20);
  }
}

/**
 * Ends a canvas test file: cold-stops `worker`, deletes `queue`, closes `app`, and deletes from Redis
 * db 2 the results of `taskIds` and every key of `groupIds` (`celery-taskset-meta-<id>` and its
 * `.j`/`.t`/`.s` chord keys), then runs `extra` with the same db 2 client (more keys to remove).
 */
export async function tearDownCanvas(
  worker: Worker, app: Celery, queue: string, taskIds: Iterable<string>, groupIds: Iterable<string>, extra?: (redis: Redis) => Promise<void>,
): Promise<void> {
  await worker.shutdown('cold').catch(() => undefined);
  const conn = app.connection();
  const ch = await conn.channel();
  await ch.deleteQueue(queue).catch(() => 0);
  await ch.deleteExchange(queue).catch(() => undefined);
  await conn.close();
  await app.close();
  const redis = rawRedis();
  const keys = [...taskIds].map((id) => `celery-task-meta-${id}`)
    .concat([...groupIds].flatMap((g) => ['', '.j', '.t', '.s'].map((s) => `celery-taskset-meta-${g}${s}`)));
  try {
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    await extra?.(redis);
  } finally {
    redis.disconnect();
  }
}

/** Tracks apps, workers and queues of one test file and removes them in `cleanup()`. */
export class Fixture {
  private readonly apps: Celery[] = [];
  private readonly workers: Worker[] = [];
  readonly unackedKey = uniq('unacked');

  constructor(readonly broker: 'redis' | 'amqp') {}

  /** An app on this broker with results in Redis db 2; the default queue is a fresh `cqt.sem.` one. */
  app(settings: Partial<CelerySettings> = {}): Celery {
    const app = new Celery('sem', {
      broker_url: this.broker === 'redis' ? REDIS_URL : AMQP_URL,
      result_backend: REDIS_URL,
      result_expires: 600,
      task_default_queue: uniq('q'),
      broker_transport_options: this.broker === 'redis'
        ? { unacked_key: this.unackedKey, unacked_index_key: `${this.unackedKey}_index`, unacked_mutex_key: `${this.unackedKey}_mutex` }
        : {},
      ...settings,
    }, { plugins: testPlugins() });
    app.log = quietLog();
    this.apps.push(app);
    return app;
  }

  async worker(app: Celery, options: WorkerOptions = {}): Promise<Worker> {
    const worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 10, ...options });
    this.workers.push(worker);
    await worker.start();
    return worker;
  }

  /** Ready messages in a queue, as the broker counts them. */
  async queueLength(app: Celery, name: string): Promise<number> {
    const conn = app.connection();
    try {
      const channel = await conn.channel();
      const { messageCount } = await channel.declareQueue(app.queue(name).toDeclaration());
      return messageCount;
    } finally {
      await conn.close();
    }
  }

  async cleanup(): Promise<void> {
    for (const w of this.workers.splice(0)) await w.shutdown('cold').catch(() => undefined);
    const queues = new Set<string>();
    for (const app of this.apps) {
      for (const q of app.defaultQueues()) queues.add(q.name);
      for (const r of listedQueues(app)) queues.add(r);
    }
    const app = this.apps[0];
    if (app) {
      const conn = app.connection();
      const channel = await conn.channel();
      for (const q of queues) await channel.deleteQueue(q).catch(() => undefined);
      // the direct exchanges named like the queues (declared per queue, as Celery does); only test names
      for (const x of new Set([...queues, ...this.exchanges])) if (x.startsWith('cqt.')) await channel.deleteExchange(x).catch(() => undefined);
      await conn.close();
    }
    for (const a of this.apps.splice(0)) await a.close().catch(() => undefined);
    const redis = rawRedis();
    try {
      for (const pattern of ['*cqt.sem.*', 'celery-task-meta-*']) {
        const keys = await redis.keys(pattern);
        if (keys.length > 0) await redis.del(...keys);
      }
    } finally {
      redis.disconnect();
    }
  }

  private readonly exchanges: string[] = [];

  /** Remembers exchange names to delete besides those named like the queues. */
  trackExchange(...names: string[]): void {
    this.exchanges.push(...names);
  }

  /** Remembers extra queue names to delete (queues created by routing). */
  track(app: Celery, ...names: string[]): void {
    const extra = (trackedQueues.get(app) ?? []);
    extra.push(...names);
    trackedQueues.set(app, extra);
  }
}

const trackedQueues = new WeakMap<Celery, string[]>();

function listedQueues(app: Celery): string[] {
  return trackedQueues.get(app) ?? [];
}
