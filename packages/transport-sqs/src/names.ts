/**
 * Queue names as kombu's SQS transport writes them (`Channel.entity_name`, `canonical_queue_name`):
 * the `queue_name_prefix` is put in front, then `.` becomes `-` and every other ASCII punctuation
 * character except `-` and `_` becomes `_` (Python's `string.punctuation` through kombu's
 * `CHARS_REPLACE_TABLE`). A name ending in `.fifo` keeps that suffix and names a FIFO queue.
 * Anything else (letters, digits, spaces, non-ASCII) is left as it is, as kombu leaves it.
 *
 * | kombu queue | SQS queue |
 * |---|---|
 * | `celery` | `celery` |
 * | `tasks.high` | `tasks-high` |
 * | `w1@host.celery.pidbox` | `w1_host-celery-pidbox` |
 * | `orders.v2.fifo` | `orders-v2.fifo` |
 */

/** Python's `string.punctuation` minus `-` and `_`; `.` is mapped to `-` separately. */
const OTHER_PUNCTUATION = /[!"#$%&'()*+,/:;<=>?@[\\\]^`{|}~]/g;
const FIFO_SUFFIX = '.fifo';

/** kombu's `entity_name`: an AMQP queue name made into a legal SQS queue name. */
export function entityName(name: string): string {
  const translate = (part: string) => part.replace(/\./g, '-').replace(OTHER_PUNCTUATION, '_');
  return isFifoName(name) ? translate(name.slice(0, -FIFO_SUFFIX.length)) + FIFO_SUFFIX : translate(name);
}

/** kombu's `canonical_queue_name`: the SQS name of queue `name` under `prefix`. */
export function canonicalQueueName(prefix: string, name: string): string {
  return entityName(prefix + name);
}

/** True for a name ending in `.fifo` (a FIFO queue, as kombu decides it). */
export function isFifoName(name: string): boolean {
  return name.endsWith(FIFO_SUFFIX);
}
