/**
 * The worker's consumer (Celery `celery/worker/consumer/consumer.py`): a blueprint of its own whose
 * steps hold the broker side of the worker. Default steps, in start order:
 *
 * - {@link ConnectionStep}: broker connection and channel (`connection`, `channel`);
 * - {@link EventsStep}: the event dispatcher (`eventDispatcher`), task events with `-E`;
 * - {@link QosStep}: the prefetch count (`qos`);
 * - {@link TasksStep}: result backend, task strategy and the kombu consumer (`strategy`, `taskConsumer`);
 * - {@link DelayedDeliveryStep}: with a quorum queue on RabbitMQ, the native delayed delivery queues;
 * - {@link ControlStep}: the pidbox node answering remote control, and the revoked set (`control`, `--statedb`);
 * - {@link HeartStep}: worker-online / worker-heartbeat every 2 s / worker-offline (`heart`); it
 *   starts after Tasks and Control, so a monitor may inspect the worker as soon as it is online;
 * - {@link MingleStep}: with `worker_mingle`, syncs revoked ids with the other workers at start-up;
 * - {@link GossipStep}: follows the other workers' `worker-*` events (`gossip.peers()`).
 *
 * Users add theirs with `app.steps.consumer.add(MyStep)`.
 */
import type { Channel, Connection, Consumer as KombuConsumer } from '@cq/kombu';
import type { Celery } from '@cq/app';
import type { EventDispatcher } from '@cq/events';
import type { Backend } from '@cq/backend';
import { Blueprint, type StepClass } from '../bootsteps.js';
import type { TaskStrategy } from '../strategy.js';
import type { Worker } from '../worker.js';
import type { QoS } from './qos.js';
import type { WorkerControlState } from './control-state.js';
import { ConnectionStep } from './steps/connection.js';
import { EventsStep } from './steps/events.js';
import { HeartStep, type Heart } from './steps/heart.js';
import { QosStep } from './steps/qos.js';
import { TasksStep } from './steps/tasks.js';
import { DelayedDeliveryStep } from './steps/delayed-delivery.js';
import { ControlStep } from './steps/control.js';
import { MingleStep } from './steps/mingle.js';
import { GossipStep, type Gossip } from './steps/gossip.js';

/** The consumer blueprint's built-in steps. */
export const CONSUMER_STEPS: readonly StepClass[] = [ConnectionStep, EventsStep, QosStep, TasksStep, DelayedDeliveryStep, ControlStep, HeartStep, MingleStep, GossipStep];

export class Consumer {
  readonly blueprint: Blueprint<Consumer>;
  connection: Connection | null = null;
  channel: Channel | null = null;
  qos: QoS | null = null;
  backend: Backend | null = null;
  strategy: TaskStrategy | null = null;
  taskConsumer: KombuConsumer | null = null;
  /** Set by the Events step. */
  eventDispatcher: EventDispatcher | null = null;
  /**
   * Set by the Events step: called after task events were switched on or off at run time (remote
   * control `enable_events` / `disable_events`), so it connects its task-signal receivers only while on.
   */
  taskEventsChanged: (() => void) | null = null;
  /** The worker as remote control sees it (revoked set, pidbox node); set by the Control step. */
  control: WorkerControlState | null = null;
  /** Set by the Heart step. */
  heart: Heart | null = null;
  /** Set by the Gossip step (unless `withoutGossip`). */
  gossip: Gossip | null = null;

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
