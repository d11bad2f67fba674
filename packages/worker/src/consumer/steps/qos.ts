/**
 * QoS step (the prefetch part of Celery's `Tasks` step): sets the channel's prefetch count to
 * concurrency × `worker_prefetch_multiplier` (0 = unlimited) and exposes `c.qos`, which the task
 * strategy raises while ETA tasks are held.
 */
import { Step } from '../../bootsteps.js';
import type { Consumer } from '../consumer.js';
import { QoS } from '../qos.js';
import { ConnectionStep } from './connection.js';

export class QosStep extends Step<Consumer> {
  static override readonly label = 'QoS';
  static override readonly requires = [ConnectionStep];

  override async start(c: Consumer): Promise<void> {
    const channel = c.channel!;
    c.qos = new QoS((n) => channel.qos(n), c.worker.prefetchCount);
    if (c.worker.prefetchCount > 0) await c.qos.update();
  }

  override info(c: Consumer): Record<string, unknown> {
    return { prefetch_count: c.qos?.value ?? c.worker.prefetchCount };
  }
}
