/**
 * The worker's consumer (Celery `celery/worker/consumer/consumer.py`): a blueprint of its own whose
 * steps hold the broker side of the worker. Default steps, in start order:
 *
 * - {@link ConnectionStep}: broker connection and channel (`connection`, `channel`);
 * - {@link QosStep}: the prefetch count (`qos`);
 * - {@link TasksStep}: result backend, task strategy and the kombu consumer (`strategy`, `taskConsumer`).
 *
 * Events, heartbeats, remote control, mingle and gossip are to come as more steps here; users add
 * theirs with `app.steps.consumer.add(MyStep)`.
 */
import type { Channel, Connection, Consumer as KombuConsumer } from '@cq/kombu';
import type { Celery } from '@cq/app';
import type { Backend } from '@cq/backend';
import { Blueprint, type StepClass } from '../bootsteps.js';
import type { TaskStrategy } from '../strategy.js';
import type { Worker } from '../worker.js';
import type { QoS } from './qos.js';
import { ConnectionStep } from './steps/connection.js';
import { QosStep } from './steps/qos.js';
import { TasksStep } from './steps/tasks.js';

/** The consumer blueprint's built-in steps. */
export const CONSUMER_STEPS: readonly StepClass[] = [ConnectionStep, QosStep, TasksStep];

export class Consumer {
  readonly blueprint: Blueprint<Consumer>;
  connection: Connection | null = null;
  channel: Channel | null = null;
  qos: QoS | null = null;
  backend: Backend | null = null;
  strategy: TaskStrategy | null = null;
  taskConsumer: KombuConsumer | null = null;

  /** Builds the blueprint from {@link CONSUMER_STEPS} and `app.steps.consumer`. */
  constructor(readonly worker: Worker, steps: Iterable<StepClass> = CONSUMER_STEPS) {
    this.blueprint = new Blueprint<Consumer>('Consumer', steps, worker.app.steps.consumer).apply(this);
  }

  get app(): Celery {
    return this.worker.app;
  }

  start(): Promise<void> {
    return this.blueprint.start(this);
  }

  /** Warm: the steps stop in reverse; the connection stays open until {@link shutdown}. */
  stop(): Promise<void> {
    return this.blueprint.stop(this);
  }

  terminate(): Promise<void> {
    return this.blueprint.stop(this, { terminate: true });
  }

  shutdown(): Promise<void> {
    return this.blueprint.shutdown(this);
  }

  info(): Record<string, Record<string, unknown>> {
    return this.blueprint.info(this);
  }
}
