/**
 * EventReceiver: captures events (Celery `celery/events/receiver.py`).
 *
 * ```ts
 * const receiver = new EventReceiver({ app, connection, handlers: { '*': (e) => console.log(e.type) } });
 * await receiver.start();      // declares celeryev.<uuid> and consumes it
 * ...
 * await receiver.close();
 * ```
 *
 * The queue is declared as Celery declares it: `<event_queue_prefix>.<nodeId>`, non-durable,
 * auto-delete, `x-message-ttl` = `event_queue_ttl` (5 s), `x-expires` = `event_queue_expires` (60 s),
 * bound to the event exchange with `routingKey` (`#`: everything). Messages are consumed without
 * acks. A body may be one event or an array of them (`task.multi`). Each event adjusts the app's
 * Lamport clock (a `task-sent` gets the local clock − 1: clients are not trusted), its `timestamp`
 * is moved to local time using its `utcoffset`, and `local_received` is set before the handler for
 * its type (else the `'*'` handler) is called.
 */
import { randomUUID } from 'node:crypto';
import type { Celery } from '@cq/app';
import { Consumer, Queue, type Channel, type Connection, type LamportClock } from '@cq/kombu';
import { EventReceiverError } from './errors.js';
import { adjustTimestamp, eventExchange, nowSeconds, type CeleryEvent } from './event.js';
import { eventSettings } from './settings.js';

export type EventHandler = (event: CeleryEvent) => void;

export interface EventReceiverOptions {
  app: Celery;
  /** Broker connection (a channel is opened on it). Default: a new `app.connection()`, closed by `close`. */
  connection?: Connection;
  /** Handlers by event type; `'*'` gets the types without their own. */
  handlers?: Record<string, EventHandler>;
  /** Binding key: `#` (default) for all events, `worker.#` for worker events only. */
  routingKey?: string;
  /** Queue name suffix. Default: a new uuid4. */
  nodeId?: string;
  /** Default: `event_queue_prefix` (`celeryev`). */
  queuePrefix?: string;
  /** Seconds; default `event_queue_ttl` (5). */
  queueTtl?: number;
  /** Seconds; default `event_queue_expires` (60). */
  queueExpires?: number;
  /** Serializers accepted. Default `[event_serializer, 'json']`. */
  accept?: string[];
  /** Move timestamps to local time. Default true. */
  localize?: boolean;
  /** Default: the app's clock (`app.clock`). */
  clock?: LamportClock;
  /** Called when a handler throws. Default: a process warning. */
  onError?: (error: unknown, event: CeleryEvent) => void;
}

/** Clients never sync their clock: a `task-sent` is placed just before the local time (Celery `CLIENT_CLOCK_SKEW`). */
const CLIENT_CLOCK_SKEW = -1;

export class EventReceiver {
  readonly app: Celery;
  readonly nodeId: string;
  readonly handlers: Record<string, EventHandler>;
  readonly clock: LamportClock;
  queue: Queue | null = null;
  private channel: Channel | null = null;
  private consumer: Consumer | null = null;
  private ownConnection: Connection | null = null;

  constructor(private readonly options: EventReceiverOptions) {
    this.app = options.app;
    this.nodeId = options.nodeId ?? randomUUID();
    this.handlers = options.handlers ?? {};
    this.clock = options.clock ?? options.app.clock;
  }

  /**
   * Declares the queue and starts consuming; events then reach the handlers. Throws
   * {@link EventReceiverError} when already started, a kombu TransportError when the broker fails.
   */
  async start(): Promise<this> {
    if (this.channel) throw new EventReceiverError('event receiver already started');
    const settings = eventSettings(this.app.conf);
    const connection = this.options.connection ?? (this.ownConnection = this.app.connection());
    await connection.connect();
    this.queue = new Queue(`${this.options.queuePrefix ?? settings.event_queue_prefix}.${this.nodeId}`, {
      exchange: eventExchange(connection.transport.driverType, settings.event_exchange),
      routingKey: this.options.routingKey ?? '#',
      autoDelete: true,
      durable: false,
      messageTtl: this.options.queueTtl ?? settings.event_queue_ttl,
      expires: this.options.queueExpires ?? settings.event_queue_expires,
    });
    this.channel = await connection.channel();
    this.consumer = new Consumer(this.channel, {
      queues: [this.queue],
      noAck: true,
      accept: this.options.accept ?? [...new Set([settings.event_serializer, 'json'])],
      callbacks: [(body) => this.receive(body)],
      onDecodeError: () => undefined,
    });
    await this.consumer.consume();
    return this;
  }

  /** Stops consuming, deletes the queue and closes what this receiver opened. Never throws. */
  async close(): Promise<void> {
    const { channel, consumer, queue } = this;
    this.channel = null;
    this.consumer = null;
    await consumer?.cancel().catch(() => undefined);
    if (channel && queue) await channel.deleteQueue(queue.name).catch(() => undefined);
    await channel?.close().catch(() => undefined);
    const conn = this.ownConnection;
    this.ownConnection = null;
    await conn?.close().catch(() => undefined);
  }

  /** Handles a message body: one event or an array of events (Celery 4+ `task.multi`). */
  receive(body: unknown): void {
    if (Array.isArray(body)) for (const e of body) this.process(e);
    else this.process(body);
  }

  /**
   * Prepares a raw event as Celery's `event_from_message` does: clock, localized `timestamp`,
   * `local_received` (s). Mutates and returns the event.
   */
  eventFromMessage(body: CeleryEvent, localize = this.options.localize ?? true): CeleryEvent {
    if (body.type === 'task-sent') {
      body.clock = (this.clock.value || 1) + CLIENT_CLOCK_SKEW;
      this.clock.adjust(body.clock);
    } else if (typeof body.clock === 'number') {
      this.clock.adjust(body.clock);
    } else {
      body.clock = this.clock.forward();
    }
    if (localize && typeof body.utcoffset === 'number' && typeof body.timestamp === 'number') {
      body.timestamp = adjustTimestamp(body.timestamp, body.utcoffset);
    }
    body.local_received = nowSeconds();
    return body;
  }

  private process(raw: unknown): void {
    if (raw === null || typeof raw !== 'object' || typeof (raw as CeleryEvent).type !== 'string') return;
    const event = this.eventFromMessage(raw as CeleryEvent);
    const handler = this.handlers[event.type] ?? this.handlers['*'];
    if (!handler) return;
    try {
      handler(event);
    } catch (err) {
      if (this.options.onError) this.options.onError(err, event);
      else process.emitWarning(`event handler for ${event.type} failed: ${String(err)}`, { code: 'CQ_EVENTS_HANDLER' });
    }
  }
}
