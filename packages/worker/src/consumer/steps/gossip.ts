/**
 * Gossip step (Celery `celery/worker/consumer/gossip.py`): the worker listens to the `worker.*`
 * events of the OTHER workers (its own hostname is ignored) on a `celeryev.<uuid>` queue bound
 * with `worker.#` (message TTL = the heartbeat interval, 2 s) and keeps them in an @cq/events
 * {@link State}. Known peers are `c.gossip.peers()`. Logs, by hostname:
 *
 * - `<node> joined the party` (info) on its first event or a `worker-online`;
 * - `<node> left` (info) on its `worker-offline`;
 * - `missed heartbeat from <node>` (warn) when, checked every `interval` s (5), its heartbeat
 *   expired (`freq × 2` after the last one); the node is then forgotten.
 *
 * Celery logs the first two at debug and the last at info. Each event also moves the app's Lamport
 * clock forward. Handlers can be added to `c.gossip.on.nodeJoin` / `nodeLeave` / `nodeLost`.
 *
 * Elections (`worker-elect`, `worker-elect-ack`) are a no-op here: Celery uses them only for
 * rarely used features (a task run by one elected worker); this step neither sends nor answers them.
 *
 * On by default for the `amqp` and `redis` transports (Celery `compatible_transports`); the
 * worker option `withoutGossip` (`cq worker --without-gossip`) leaves the step out.
 */
import { EventReceiver, State, type CeleryEvent, type WorkerState } from '@cq/events';
import { Step } from '../../bootsteps.js';
import type { Consumer } from '../consumer.js';
import { ConnectionStep } from './connection.js';
import { EventsStep } from './events.js';

/** Transports gossip works on (Celery `Gossip.compatible_transports`). */
export const GOSSIP_TRANSPORTS: ReadonlySet<string> = new Set(['amqp', 'redis']);

type NodeHandler = (worker: WorkerState) => void;

/** The peers a worker knows of, from their `worker-*` events (Celery's `Gossip` object, `c.gossip`). */
export class Gossip {
  /** The other workers by hostname (Celery `gossip.state`). */
  readonly state: State;
  /** Extra handlers, called after the log line; errors are logged and ignored (Celery `gossip.on`). */
  readonly on = { nodeJoin: new Set<NodeHandler>(), nodeLeave: new Set<NodeHandler>(), nodeLost: new Set<NodeHandler>() };
  private receiver: EventReceiver | null = null;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param interval seconds between checks for missed heartbeats; default 5.0 (Celery's).
   * @param heartbeatInterval seconds; the queue's message TTL; default 2.0 (Celery's).
   */
  constructor(private readonly c: Consumer, readonly interval = 5.0, readonly heartbeatInterval = 2.0) {
    this.state = new State({
      maxTasksInMemory: 1,
      onNodeJoin: (w) => this.call('joined the party', 'info', this.on.nodeJoin, w),
      onNodeLeave: (w) => this.call('left', 'info', this.on.nodeLeave, w),
    });
  }

  /** The other workers heard from and neither gone offline nor lost, in order of last update. */
  peers(): WorkerState[] {
    return [...this.state.workers.values()];
  }

  /** Declares the queue and consumes it on the consumer's connection; starts the heartbeat check. */
  async start(): Promise<void> {
    const receiver = new EventReceiver({
      app: this.c.app, connection: this.c.connection!, routingKey: 'worker.#', queueTtl: this.heartbeatInterval,
      handlers: { '*': (event) => this.onEvent(event) },
      onError: (err) => this.c.worker.log.error(`gossip: ${String(err)}`),
    });
    await receiver.start();
    this.receiver = receiver;
    this.timer = setInterval(() => this.periodic(), this.interval * 1000);
    this.timer.unref();
  }

  /** Stops the check, cancels the consumer and deletes the queue. Never throws. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const receiver = this.receiver;
    this.receiver = null;
    await receiver?.close();
  }

  /** Forgets the workers whose heartbeat expired, logging each (Celery `Gossip.periodic`). */
  periodic(now?: number): void {
    for (const worker of [...this.state.workers.values()]) {
      if (worker.alive(now)) continue;
      this.call('missed heartbeat from', 'warn', this.on.nodeLost, worker);
      this.state.workers.delete(worker.hostname);
    }
  }

  private onEvent(event: CeleryEvent): void {
    // On Redis every event reaches a fanout exchange's queues; keep the worker ones (Celery #1882).
    if (!event.type.startsWith('worker-') || event.type.startsWith('worker-elect')) return;
    if (event.hostname === this.c.worker.hostname) return;
    this.state.event(event);
  }

  private call(what: string, level: 'info' | 'warn', handlers: Set<NodeHandler>, worker: WorkerState): void {
    const log = this.c.worker.log;
    log[level](what === 'missed heartbeat from' ? `${what} ${worker.hostname}` : `${worker.hostname} ${what}`);
    for (const handler of handlers) {
      try {
        handler(worker);
      } catch (err) {
        log.error(`Ignored error from gossip handler: ${String(err)}`);
      }
    }
  }
}

export class GossipStep extends Step<Consumer> {
  static override readonly label = 'Gossip';
  static override readonly requires = [ConnectionStep, EventsStep];

  override includeIf(c: Consumer): boolean {
    return !c.worker.options.withoutGossip;
  }

  override create(c: Consumer): void {
    c.gossip = new Gossip(c);
  }

  override async start(c: Consumer): Promise<void> {
    if (!c.gossip || !GOSSIP_TRANSPORTS.has(c.connection?.transport.driverType ?? '')) return;
    await c.gossip.start();
  }

  override async stop(c: Consumer): Promise<void> {
    await c.gossip?.stop();
  }
}
