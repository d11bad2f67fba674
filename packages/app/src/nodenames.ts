/**
 * Worker-direct queues (Celery `celery/utils/nodenames.py` `worker_direct`): with `worker_direct`
 * on, each worker also consumes `<nodename>.dq2`, bound to the direct exchange `C.dq2` with its node
 * name as routing key, so a task can be sent to one given worker:
 *
 * ```ts
 * await add.applyAsync([2, 3], { queue: workerDirect('w1@host') });
 * ```
 * The names are Celery's, so Python and cq workers and clients reach each other's direct queues.
 */
import { Exchange, Queue } from '@cq/kombu';

/** The exchange of worker-direct queues (Celery `WORKER_DIRECT_EXCHANGE`). */
export const WORKER_DIRECT_EXCHANGE = 'C.dq2';

/**
 * The direct queue of the worker named `hostname` (its full node name, `name@host`): queue
 * `<hostname>.dq2`, exchange `C.dq2` (direct, durable), routing key `hostname`. A Queue is returned
 * as given (Celery accepts one too).
 */
export function workerDirect(hostname: string | Queue): Queue {
  if (hostname instanceof Queue) return hostname;
  return new Queue(`${hostname}.dq2`, { exchange: new Exchange(WORKER_DIRECT_EXCHANGE, { type: 'direct' }), routingKey: hostname });
}
