/**
 * The fast profile: settings for throughput first, from Celery's "Optimizing" guide, as one object to
 * spread into an app's configuration. Each entry trades a guarantee for speed:
 *
 * - `task_default_delivery_mode: 1` — transient messages (Celery `'transient'`): RabbitMQ keeps them in
 *   memory only, so a broker restart loses the queued tasks. Redis, SQLite and the other virtual
 *   transports store every message the same way and ignore it.
 * - `task_ignore_result: true` — no result is stored (no write per task, no `AsyncResult.get()`);
 *   failures are not stored either unless `task_store_errors_even_if_ignored`.
 * - `task_acks_late: false` — the message is acknowledged as the task starts (Celery's default, restated
 *   so a profile spread over `task_acks_late: true` wins): a worker that dies mid-task loses that task.
 * - `worker_prefetch_multiplier: 32` — each worker reserves concurrency × 32 messages, so the broker is
 *   never waited on between short tasks; long tasks then wait in one worker while another idles (the
 *   guide's advice for long tasks is the opposite, 1).
 *
 * ```ts
 * import { Celery, fastProfile } from '@cq/celery';
 * const app = new Celery('proj', { ...fastProfile, broker_url: 'amqp://' });   // the worker reads the same app
 * ```
 *
 * Client and worker should both use it: the delivery mode is the sender's, the rest the worker's.
 * Celery's transient *queues* (`durable: false` in `task_queues`) go further on RabbitMQ but cannot
 * replace an existing durable queue of the same name, so the profile leaves queues alone. Figures: bench
 * `--profile fast` (bench/README.md).
 */
import type { CelerySettings } from '@cq/app';

export const fastProfile: Readonly<Partial<CelerySettings>> = Object.freeze({
  task_default_delivery_mode: 1,
  task_ignore_result: true,
  task_acks_late: false,
  worker_prefetch_multiplier: 32,
});
