/**
 * Consumer component (Celery `celery/worker/components.py` `Consumer`): creates the worker's
 * {@link Consumer} (`w.consumer`), itself a blueprint of consumer steps, and starts it last, once the
 * pool is up. Stopped first, so consuming ends before the pool drains; its connection closes at
 * `shutdown`, after the pool step stopped.
 */
import { StartStopStep } from '../bootsteps.js';
import { Consumer } from '../consumer/consumer.js';
import type { Worker } from '../worker.js';
import { PoolComponent } from './pool.js';

export class ConsumerComponent extends StartStopStep<Worker, Consumer> {
  static override readonly label = 'Consumer';
  static override readonly requires = [PoolComponent];
  static override readonly last = true;

  override create(w: Worker): Consumer {
    w.consumer = new Consumer(w);
    return w.consumer;
  }

  override info(): Record<string, unknown> {
    return this.obj?.info() ?? {};
  }
}
