/**
 * The worker's consumer with only the steps this worker needs: the broker connection, QoS (the
 * prefetch count) and the task consumer. Left out of the default `CONSUMER_STEPS`: events and
 * heartbeats (Events, Heart), remote control (Control), and the steps that talk to other workers
 * (Mingle, Gossip).
 */
import { ConnectionStep, Consumer, ConsumerComponent, QosStep, TasksStep, type Worker } from '@cq/worker';

export const LEAN_CONSUMER_STEPS = [ConnectionStep, QosStep, TasksStep];

export class LeanConsumer extends ConsumerComponent {
  static override readonly label = 'Consumer';

  override create(w: Worker): Consumer {
    w.consumer = new Consumer(w, LEAN_CONSUMER_STEPS);
    return w.consumer;
  }
}
