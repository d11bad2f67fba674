/**
 * RabbitMQ quorum queues (Celery 5.5 `celery/utils/quorum_queues.py` and the queue-type settings of
 * `celery/app/amqp.py`): which type a queue the app creates gets, and whether the app uses any
 * quorum queue — what turns the worker's QoS per-consumer and sends countdowns through native
 * delayed delivery.
 */
import type { Queue, QueueType } from '@cq/kombu';
import type { CelerySettings } from './config.js';
import { ImproperlyConfigured } from './errors.js';

const QUEUE_TYPES: readonly string[] = ['classic', 'quorum'];

/** True when `queue` is declared with `x-queue-type: quorum`. */
export function isQuorumQueue(queue: Queue): boolean {
  return queue.arguments['x-queue-type'] === 'quorum';
}

/**
 * The queue arguments of a queue the app creates rather than finds in `task_queues` (Celery
 * `AMQP.Queues` and `Queues.new_missing`): the default queue, when `task_queues` is not set, takes
 * `task_default_queue_type`; any other takes `task_create_missing_queue_type`. `{}` for classic.
 * @throws ImproperlyConfigured for a type other than `classic` or `quorum` (Celery: ValueError).
 */
export function createdQueueArguments(conf: CelerySettings, isDefault: boolean): Record<string, unknown> {
  const [setting, type] = isDefault && !conf.task_queues
    ? ['task_default_queue_type', conf.task_default_queue_type] as const
    : ['task_create_missing_queue_type', conf.task_create_missing_queue_type] as const;
  checkQueueType(setting, type);
  return type === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
}

/** @throws ImproperlyConfigured naming `setting` when `type` is not `classic` or `quorum` (null/undefined: classic). */
export function checkQueueType(setting: string, type: QueueType | null | undefined): void {
  if (type != null && !QUEUE_TYPES.includes(type)) {
    throw new ImproperlyConfigured(`${setting} must be 'classic' or 'quorum', got ${JSON.stringify(type)}`);
  }
}

/**
 * Celery `detect_quorum_queues(app, driver_type)`: `[true, name of the first]` when the broker is
 * AMQP (`driverType` `amqp`) and one of the app's queues (`task_queues` or the default queue, and
 * those created since) is a quorum queue; `[false, '']` otherwise.
 */
export function detectQuorumQueues(app: { knownQueues(): Queue[] }, driverType: string): [boolean, string] {
  if (driverType !== 'amqp') return [false, ''];
  const found = app.knownQueues().find(isQuorumQueue);
  return found ? [true, found.name] : [false, ''];
}
