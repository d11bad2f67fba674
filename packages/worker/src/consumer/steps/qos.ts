/**
 * QoS step (the prefetch part of Celery's `Tasks` step): sets the channel's prefetch count to
 * concurrency × `worker_prefetch_multiplier` (0 = unlimited) and exposes `c.qos`, which the task
 * strategy raises while ETA tasks are held.
 *
 * The limit is channel-wide (AMQP `global`, as Celery sets it on RabbitMQ) unless the app uses a
 * quorum queue on RabbitMQ and `worker_detect_quorum_queues` is on (Celery 5.5 `Tasks.qos_global`):
 * quorum queues refuse a channel with a global limit, so the limit is then per consumer, and fixed,
 * since RabbitMQ applies a per-consumer limit only to consumers started after it. ETA tasks held in
 * memory then occupy the window; with native delayed delivery they arrive when due.
 */
import { detectQuorumQueues } from '@cq/app';
import { Step } from '../../bootsteps.js';
import { workerSettings } from '../../settings.js';
import type { Consumer } from '../consumer.js';
import { QoS } from '../qos.js';
import { ConnectionStep } from './connection.js';

export class QosStep extends Step<Consumer> {
  static override readonly label = 'QoS';
  static override readonly requires = [ConnectionStep];

  override async start(c: Consumer): Promise<void> {
    const channel = c.channel!;
    const perConsumer = workerSettings(c.app.conf).worker_detect_quorum_queues
      && detectQuorumQueues(c.app, c.connection!.transport.driverType)[0];
    if (perConsumer) c.worker.log.info('Global QoS is disabled. Prefetch count is now static.'); // Celery 5.5's line
    c.qos = new QoS((n) => channel.qos(n, !perConsumer), c.worker.prefetchCount, { fixed: perConsumer });
    if (c.worker.prefetchCount > 0) await c.qos.update();
  }

  override info(c: Consumer): Record<string, unknown> {
    return { prefetch_count: c.qos?.value ?? c.worker.prefetchCount };
  }
}
