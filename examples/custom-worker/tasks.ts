/**
 * The app of the custom worker: RabbitMQ as the only transport (@cq/transport-amqp) and results as
 * AMQP messages back to the caller (@cq/backend-rpc, Celery's `rpc://`). No events, no beat, no canvas.
 *
 * - `AMQP_URL` (default `amqp://guest:guest@localhost:5672//`): the broker;
 * - `CUSTOM_QUEUE` (default `custom`): the queue the tasks go to and the worker consumes.
 *
 * The worker's children (a prefork pool) import this module too, so it does nothing but define the
 * app and its tasks.
 */
import { Celery, type TaskContext } from '@cq/app';
import { rpcBackend } from '@cq/backend-rpc';
import { amqpTransport } from '@cq/transport-amqp';

export const app = new Celery('custom', {
  broker_url: process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672//',
  result_backend: 'rpc://',
  task_default_queue: process.env.CUSTOM_QUEUE ?? 'custom',
}, { plugins: [amqpTransport(), rpcBackend()] });

/** Reports which process ran it: a child of the prefork pool, not the worker itself. */
export const whoami = app.task('custom.whoami', () => ({ pid: process.pid, parent: process.ppid }));

/** Waits `ms` milliseconds (stopping early if the task is cancelled), then returns `ms`. */
export const nap = app.task('custom.nap', async (ctx: TaskContext, ms: number) => {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(ctx.signal.reason as Error);
    }, { once: true });
  });
  return ms;
}, { bind: true });
