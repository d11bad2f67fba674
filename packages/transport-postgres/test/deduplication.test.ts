/**
 * Enqueue-time deduplication end to end on the PostgreSQL broker (keys as rows of `cq_deduplication`
 * in the broker's database), with an in-process worker: the shared scenarios of @cq/tooling/testing
 * (`describeEnqueueDeduplication`). Results in Redis db 9 behind this file's own `global_keyprefix`,
 * deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { Celery, createLogger, getDeduplicationTaskId } from '@cq/app';
import { RedisBackend, redisBackend } from '@cq/backend-redis';
import { describeEnqueueDeduplication } from '@cq/tooling/testing';
import { Worker } from '@cq/worker';
import { postgresTransport } from '../src/index.js';
import { testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_dedup_e2e');
const prefix = `cqt.pgdedup.${randomUUID().slice(0, 8)}.`;

afterAll(async () => {
  // The backend's own connection, for the raw KEYS/DEL (ioredis is not a dependency of this package).
  const backend = new RedisBackend({ url: 'redis://127.0.0.1:6379/9' });
  try {
    const keys = await backend.client.keys(`${prefix}*`);
    if (keys.length > 0) await backend.client.del(...keys);
  } finally {
    await backend.close();
  }
});

function makeApp(queue: string): Celery {
  const app = new Celery('pgdedup', {
    broker_url: `postgresql://${db}`, task_default_queue: queue, result_expires: 600,
    result_backend: 'redis://127.0.0.1:6379/9',
    ...({ result_backend_transport_options: { global_keyprefix: prefix } } as object), // read by the Redis backend; not in CelerySettings' type
  }, { plugins: [postgresTransport(), redisBackend()] });
  app.log = createLogger({ level: 'critical' });
  return app;
}

describeEnqueueDeduplication('postgresql broker (keys in the broker database)', {
  worker: async (queue, ran) => {
    const app = makeApp(queue);
    app.task('dedup.work', async (n: number, ms: number) => {
      ran(n);
      await new Promise((r) => setTimeout(r, ms));
      return n;
    });
    const worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 10 });
    await worker.start();
    return { stop: async () => { await worker.shutdown('cold'); await app.close(); } };
  },
  client: (queue) => {
    const app = makeApp(queue);
    return {
      send: (n, ms, options) => app.sendTask('dedup.work', [n, ms], options),
      holder: (id) => getDeduplicationTaskId(app, 'dedup.work', id),
      close: () => app.close(),
    };
  },
});
