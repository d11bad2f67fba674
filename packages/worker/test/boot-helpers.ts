/**
 * Shared set-up of the bootstep/signal/shutdown tests: an app per test on a real broker (Redis DB 1 or
 * RabbitMQ) with results in Redis DB 1, one queue named `cqt.boot.<random>` on the default exchange
 * (so no exchange is created), and a cleanup that deletes the queue and the results written.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Celery, after_task_publish, createLogger, type CelerySettings } from '@cq/app';
import { testPlugins } from './plugins.js';

export const REDIS_URL = 'redis://127.0.0.1:6379/1';
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//';
export const BROKERS: Array<[string, string]> = [['redis', REDIS_URL], ['amqp', AMQP_URL]];

/** Ids of the tasks published to `cqt.boot.*` queues, to delete their results afterwards. */
const published = new Set<string>();
after_task_publish.connect(({ headers, routingKey }) => {
  if (routingKey.startsWith('cqt.boot.') && typeof headers['id'] === 'string') published.add(headers['id']);
}, { dispatchUid: 'cqt.boot.cleanup' });

export interface Rig {
  app: Celery;
  queue: string;
  /** Messages ready in the queue now. */
  messageCount(): Promise<number>;
  /** Deletes the queue and the results of the tasks sent, closes the app. */
  cleanup(): Promise<void>;
}

export function rig(brokerUrl: string, config: Partial<CelerySettings> = {}): Rig {
  const queue = `cqt.boot.${randomUUID().slice(0, 8)}`;
  const app = new Celery('boot', {
    broker_url: brokerUrl, result_backend: REDIS_URL, task_default_queue: queue, task_default_exchange: '', ...config,
  }, { plugins: testPlugins() });
  app.log = createLogger({ level: process.env['CQ_TEST_LOG_LEVEL'] ?? 'critical' });
  const withChannel = async <T>(fn: (ch: Awaited<ReturnType<ReturnType<Celery['connection']>['channel']>>) => Promise<T>): Promise<T> => {
    const conn = app.connection();
    try {
      return await fn(await conn.channel());
    } finally {
      await conn.close();
    }
  };
  return {
    app,
    queue,
    messageCount: () => withChannel(async (ch) => (await ch.declareQueue(app.queue(queue).toDeclaration())).messageCount),
    async cleanup() {
      await withChannel((ch) => ch.deleteQueue(queue)).catch(() => undefined);
      await app.close();
      if (published.size > 0) {
        const redis = new Redis(REDIS_URL, { lazyConnect: true });
        await redis.connect();
        await redis.del(...[...published].map((id) => `celery-task-meta-${id}`));
        published.clear();
        await redis.quit();
      }
    },
  };
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
