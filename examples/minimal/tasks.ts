/**
 * The smallest stack: the app from @cq/app with only the Redis transport and the Redis result backend
 * installed (`new Celery(name, conf, { plugins })`), no meta-package, so nothing else is in
 * node_modules (no SQLite, no AMQP driver).
 *
 * Settings come from the environment so the same files run anywhere:
 * - `REDIS_URL` (default `redis://localhost:6379/0`): broker and result backend;
 * - `MINIMAL_QUEUE` (default `minimal`): the queue the tasks go to and the worker consumes.
 */
import { Celery } from '@cq/app';
import { redisBackend } from '@cq/backend-redis';
import { redisTransport } from '@cq/transport-redis';

const redisUrl = process.env.REDIS_URL ?? 'redis://localhost:6379/0';

export const app = new Celery('minimal', {
  broker_url: redisUrl,
  result_backend: redisUrl,
  task_default_queue: process.env.MINIMAL_QUEUE ?? 'minimal',
  result_expires: 3600,
}, { plugins: [redisTransport(), redisBackend()] });

/** `x + y`. */
export const add = app.task('minimal.add', (x: number, y: number) => x + y);

/** Word count and the longest word of a sentence. */
export const words = app.task('minimal.words', (text: string) => {
  const list = text.split(/\s+/).filter(Boolean);
  const longest = list.reduce((a, b) => (b.length > a.length ? b : a), '');
  return { count: list.length, longest };
});
