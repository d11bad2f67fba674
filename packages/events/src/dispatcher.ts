/**
 * EventDispatcher: publishes events to the event exchange (Celery `celery/events/dispatcher.py`).
 *
 * ```ts
 * const dispatcher = await new EventDispatcher({ app, connection, hostname: 'w1@host' }).open();
 * await dispatcher.send('worker-online', { freq: 2.0 });   // routing key worker.online
 * await dispatcher.close();
 * ```
 *
 * Each event gets `hostname`, `utcoffset`, `pid`, `clock` (the app's Lamport clock, forwarded) and
 * `timestamp`, and is published as `event_serializer` (json) with `delivery_mode` 1 and the header
 * `{hostname}`, routing key = type with `-` → `.`. Types of a `bufferGroups` group are collected and
 * sent together as one JSON array on `<group>.multi` (what a Celery worker does for `task`), once per
 * turn of the event loop or every `bufferLimit` events. Publishing is serialized: events leave in order.
 * With `bufferWhileOffline` (default) an event that failed to publish is kept and sent by the next
 * {@link EventDispatcher.flush}.
 */
import type { Celery } from '@cq/app';
import { Producer, type Channel, type Connection, type Exchange, type LamportClock } from '@cq/kombu';
import { EventDispatcherError } from './errors.js';
import { eventExchange, groupFrom, makeEvent, routingKeyOf, utcoffset, type CeleryEvent } from './event.js';
import { eventSettings } from './settings.js';

export interface EventDispatcherOptions {
  app: Celery;
  /** Broker connection; a channel is opened on it (and closed by `close`). Default: a new `app.connection()`, closed by `close`. */
  connection?: Connection;
  /** Publish on this channel instead (not closed by `close`); `connection` must be connected. */
  channel?: Channel;
  /** Sender name put in `hostname`. Default `gen<pid>@<host>` (Celery `anon_nodename`). */
  hostname?: string;
  /** When false, `send` does nothing. Default true. */
  enabled?: boolean;
  /** Only these groups (`task`, `worker`) are sent; empty/undefined = all. */
  groups?: Iterable<string>;
  /** Groups buffered and sent as arrays on `<group>.multi`. Default none. */
  bufferGroups?: Iterable<string>;
  /** Buffered events that force a flush. Default 24 (Celery `buffer_limit`). */
  bufferLimit?: number;
  /** Keep events that failed to publish for the next flush. Default true. */
  bufferWhileOffline?: boolean;
  /** Default: `event_serializer` (json). */
  serializer?: string;
  /** Default 1 (transient). */
  deliveryMode?: number;
  /** Default: the app's clock (`app.clock`). */
  clock?: LamportClock;
}

/** Most events kept while offline; older ones are dropped first. */
const OUTBOUND_LIMIT = 10_000;

export class EventDispatcher {
  readonly app: Celery;
  readonly hostname: string;
  readonly pid = process.pid;
  readonly clock: LamportClock;
  readonly groups: Set<string>;
  readonly bufferGroups: Set<string>;
  readonly bufferLimit: number;
  readonly serializer: string;
  readonly deliveryMode: number;
  readonly headers: { hostname: string };
  /** Called when {@link enable} / {@link disable} switch sending (the Heart starts/stops on them). */
  readonly onEnabled = new Set<() => void>();
  readonly onDisabled = new Set<() => void>();
  enabled: boolean;
  exchange: Exchange | null = null;
  private producer: Producer | null = null;
  private ownChannel: Channel | null = null;
  private ownConnection: Connection | null = null;
  private readonly groupBuffer = new Map<string, CeleryEvent[]>();
  private readonly outbound: Array<{ body: CeleryEvent | CeleryEvent[]; routingKey: string }> = [];
  private chain: Promise<void> = Promise.resolve();
  private flushScheduled = false;

  constructor(private readonly options: EventDispatcherOptions) {
    this.app = options.app;
    this.hostname = options.hostname ?? options.app.origin;
    this.clock = options.clock ?? options.app.clock;
    this.groups = new Set(options.groups ?? []);
    this.bufferGroups = new Set(options.bufferGroups ?? []);
    this.bufferLimit = options.bufferLimit ?? 24;
    this.serializer = options.serializer ?? eventSettings(options.app.conf).event_serializer;
    this.deliveryMode = options.deliveryMode ?? 1;
    this.enabled = options.enabled ?? true;
    this.headers = { hostname: this.hostname };
  }

  /** Opens the channel and picks the exchange type for the transport. Throws a kombu TransportError. */
  async open(): Promise<this> {
    if (this.producer) return this;
    let channel = this.options.channel;
    let connection = this.options.connection;
    if (!channel) {
      if (!connection) connection = this.ownConnection = this.app.connection();
      channel = this.ownChannel = await connection.channel();
    }
    const driver = connection ? (await connection.connect()).transport.driverType : 'amqp';
    this.exchange = eventExchange(driver, eventSettings(this.app.conf).event_exchange);
    this.producer = new Producer(channel, { exchange: this.exchange, serializer: this.serializer, autoDeclare: false });
    return this;
  }

  /** Turns sending on and calls `onEnabled` (Celery `enable`). */
  enable(): void {
    this.enabled = true;
    for (const cb of this.onEnabled) cb();
  }

  /** Turns sending off and calls `onDisabled` (Celery `disable`). */
  disable(): void {
    if (!this.enabled) return;
    this.enabled = false;
    for (const cb of this.onDisabled) cb();
  }

  /** Whether an event of `group` (`task`, `worker`) would be sent now: callers skip building fields otherwise. */
  willSend(group: string): boolean {
    return this.enabled && (this.groups.size === 0 || this.groups.has(group));
  }

  /**
   * Sends an event of `type` with `fields` (Celery `send`). Does nothing when disabled or the group
   * is filtered out. Resolves once published (buffered groups: once queued). With `blind`, no clock
   * is set. Rejects with {@link EventDispatcherError} only when `bufferWhileOffline` is off.
   */
  send(type: string, fields: Record<string, unknown> = {}, options: { blind?: boolean } = {}): Promise<void> {
    const group = groupFrom(type);
    if (!this.willSend(group)) return Promise.resolve();
    const event = this.build(type, fields, options.blind ?? false);
    if (this.bufferGroups.has(group)) {
      let buf = this.groupBuffer.get(group);
      if (!buf) this.groupBuffer.set(group, (buf = []));
      buf.push(event);
      if (buf.length >= this.bufferLimit) return this.flush();
      this.scheduleFlush();
      return Promise.resolve();
    }
    return this.enqueue(event, routingKeyOf(type));
  }

  /** Publishes what failed earlier, then every buffered group as `<group>.multi`. */
  flush(): Promise<void> {
    const pending = this.outbound.splice(0);
    const publishes = pending.map((p) => this.enqueue(p.body, p.routingKey));
    for (const [group, events] of this.groupBuffer) {
      if (events.length === 0) continue;
      publishes.push(this.enqueue(events.splice(0), `${group}.multi`));
    }
    return Promise.all(publishes).then(() => undefined);
  }

  /** Flushes, waits for publishes in flight and closes what this dispatcher opened. Never throws. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.chain.catch(() => undefined);
    this.producer = null;
    const channel = this.ownChannel;
    const connection = this.ownConnection;
    this.ownChannel = null;
    this.ownConnection = null;
    await channel?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
  }

  /** The event as it will be sent (Celery `Event(type, hostname=, utcoffset=, pid=, clock=, **fields)`). */
  private build(type: string, fields: Record<string, unknown>, blind: boolean): CeleryEvent {
    return makeEvent(type, {
      hostname: this.hostname, utcoffset: utcoffset(), pid: this.pid, clock: blind ? null : this.clock.forward(), ...fields,
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush().catch(() => undefined);
    });
  }

  private enqueue(body: CeleryEvent | CeleryEvent[], routingKey: string): Promise<void> {
    const run = this.chain.then(() => this.publish(body, routingKey));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async publish(body: CeleryEvent | CeleryEvent[], routingKey: string): Promise<void> {
    try {
      if (!this.producer || !this.exchange) throw new EventDispatcherError('event dispatcher is not open: await dispatcher.open() first');
      await this.producer.publish(body, {
        exchange: this.exchange, routingKey, declare: [this.exchange], serializer: this.serializer,
        headers: { ...this.headers }, deliveryMode: this.deliveryMode,
      });
    } catch (err) {
      if (this.options.bufferWhileOffline === false) {
        throw err instanceof EventDispatcherError ? err : new EventDispatcherError(`could not publish event ${routingKey}: ${String(err)}`, { cause: err });
      }
      this.outbound.push({ body, routingKey });
      if (this.outbound.length > OUTBOUND_LIMIT) this.outbound.shift();
    }
  }
}
