/**
 * The transport interface: what every broker package implements. Shapes follow AMQP 0-9-1 as kombu
 * models it (`kombu/transport/base.py`), in async TypeScript. Brokers that are not AMQP get it from the
 * virtual base (`./virtual/base.ts`), which emulates exchanges, bindings, QoS and acks.
 */
import type { Queue } from '../entity.js';
import type { FailoverStrategy } from './failover.js';

/** Broker-level message properties. Names and units are AMQP's, as kombu writes them. */
export interface MessageProperties {
  /** The task id for task messages; rpc replies carry the request's. */
  correlation_id?: string;
  /** Reply queue name (rpc result backend); Python clients always set it. */
  reply_to?: string;
  /** 1 = transient, 2 = persistent. */
  delivery_mode?: number;
  /** 0..255 on AMQP; the virtual base maps it per transport. Default 0. */
  priority?: number;
  /** Per-message TTL as a string of integer milliseconds (AMQP `expiration`). */
  expiration?: string;
  [extra: string]: unknown;
}

/** A message as a transport carries it: serialized (and maybe compressed) body plus metadata. */
export interface RawMessage {
  body: Buffer;
  /** MIME type of the serializer, e.g. `application/json`. */
  contentType: string;
  /** `utf-8` or `binary`. */
  contentEncoding: string;
  /** AMQP application headers (task protocol v2 headers live here). */
  headers: Record<string, unknown>;
  properties: MessageProperties;
}

/** Where a message came from. Mirrors kombu's `delivery_info`. */
export interface DeliveryInfo {
  exchange: string;
  routing_key: string;
  /** Set by the transport when the message is being delivered again. */
  redelivered?: boolean;
  /** The queue the message was taken from (not part of AMQP's info, but every transport knows it). */
  queue?: string;
  consumer_tag?: string;
  priority?: number;
}

/** A received message, not yet acknowledged. */
export interface Delivery extends RawMessage {
  /** Opaque tag for ack/reject on the channel that delivered it. */
  deliveryTag: string;
  deliveryInfo: DeliveryInfo;
  redelivered: boolean;
}

export type ExchangeType = 'direct' | 'topic' | 'fanout' | 'headers';

export interface ExchangeDeclaration {
  name: string;
  type: ExchangeType;
  durable: boolean;
  autoDelete: boolean;
  arguments: Record<string, unknown>;
}

export interface QueueDeclaration {
  name: string;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  /** Broker arguments as sent on the wire (`x-expires`, `x-message-ttl`, `x-max-priority`, ...). */
  arguments: Record<string, unknown>;
}

export interface BindingDeclaration {
  queue: string;
  exchange: string;
  routingKey: string;
  arguments: Record<string, unknown>;
}

export interface ConsumeOptions {
  /** Chosen by the channel when omitted. */
  consumerTag?: string;
  /** Deliveries are settled by the broker on send; `ack` is not called. Default false. */
  noAck?: boolean;
}

/** Called for each delivery. Exceptions thrown here are the consumer's, not the transport's. */
export type DeliveryCallback = (delivery: Delivery) => void;

/**
 * A channel: the unit of declaring, publishing and consuming. Mirrors an AMQP channel / kombu
 * `Channel`. Methods reject with a {@link TransportError} subclass when the broker fails.
 */
export interface Channel {
  declareExchange(exchange: ExchangeDeclaration): Promise<void>;
  /** Declares a queue; resolves with the number of messages ready in it. */
  declareQueue(queue: QueueDeclaration): Promise<{ messageCount: number }>;
  bindQueue(binding: BindingDeclaration): Promise<void>;
  /**
   * Deletes an exchange and every binding from it (AMQP exchange.delete, kombu `exchange_delete`);
   * queues are left as they are. Deleting an unknown exchange is not an error. The default exchange
   * `''` and the broker's `amq.*` exchanges cannot be deleted: for those this is a no-op.
   */
  deleteExchange(name: string): Promise<void>;
  /** Deletes a queue; resolves with the number of messages it held. */
  deleteQueue(queue: string): Promise<number>;
  /** Removes every ready message of a queue; resolves with how many. */
  purge(queue: string): Promise<number>;
  /** Routes a message through `exchange` (`''` is the default exchange: routing key = queue name). */
  publish(message: RawMessage, exchange: string, routingKey: string): Promise<void>;
  /** Takes one message, or null when the queue is empty (AMQP basic.get). */
  get(queue: string, options?: { noAck?: boolean }): Promise<Delivery | null>;
  /** Starts delivering from `queue`; resolves with the consumer tag. */
  consume(queue: string, callback: DeliveryCallback, options?: ConsumeOptions): Promise<string>;
  cancel(consumerTag: string): Promise<void>;
  /**
   * Caps unacknowledged deliveries (0 = unlimited). AMQP basic.qos; kombu `qos(prefetch_size,
   * prefetch_count, apply_global)`. `applyGlobal` (AMQP brokers only, default true there): one limit
   * for the whole channel, changeable while consumers run; false: a limit per consumer started
   * afterwards (what RabbitMQ quorum queues require). Other transports ignore it.
   */
  qos(prefetchCount: number, applyGlobal?: boolean): Promise<void>;
  ack(deliveryTag: string): Promise<void>;
  /** Rejects a delivery: requeued when `requeue`, otherwise dropped (or dead-lettered by the broker). */
  reject(deliveryTag: string, requeue: boolean): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

/** A connection to one broker. */
export interface Transport {
  /** Short name, e.g. `sqlite`, `memory`, `amqp` (kombu `driver_type`). */
  readonly driverType: string;
  connect(): Promise<void>;
  createChannel(): Promise<Channel>;
  close(): Promise<void>;
  readonly isConnected: boolean;
  /**
   * What this transport can do, so callers and the conformance suite can adapt.
   * `priorityOrder`: `'higher-first'` (AMQP) or `'lower-first'` (kombu Redis) or `'none'`.
   */
  readonly capabilities: TransportCapabilities;
}

export interface TransportCapabilities {
  priorityOrder: 'higher-first' | 'lower-first' | 'none';
  /** Messages survive a restart of the process that published them. */
  persistent: boolean;
  /** Unacked messages of a consumer that vanished are redelivered. */
  redeliversUnacked: boolean;
  /** Exchanges of type `topic` and `fanout` route across processes. */
  fanout: boolean;
}

/** A parsed broker URL. `transport` is the scheme as written (e.g. `sqlite`, `amqp`, `redis`). */
export interface BrokerUrl {
  transport: string;
  hostname: string | null;
  port: number | null;
  userid: string | null;
  password: string | null;
  /** For SQLite/file transports the file path; for AMQP the vhost; for Redis the db number text. */
  virtualHost: string | null;
  /** Query parameters, decoded. */
  query: Record<string, string>;
  /** The URL as given. */
  href: string;
}

/**
 * kombu's `Connection(ssl=…)`, Celery `broker_use_ssl`: true (TLS, default checks), a dict of the
 * transport's TLS settings (keys as in Python), or false/null (TLS only if the URL's scheme says so).
 */
export type BrokerSsl = boolean | Readonly<Record<string, unknown>> | null;

/** What a connection hands a transport beside its URL and options (kombu's `Connection` fields). */
export interface TransportConnectionInfo {
  /** Celery `broker_use_ssl`; see {@link BrokerSsl}. Transports without TLS ignore it. */
  ssl?: BrokerSsl;
  /**
   * Every URL of a `;`-separated `broker_url`, the transport's own `url` first (kombu `Connection.alt`),
   * and how to move between them (`broker_failover_strategy`; see `failover.ts`). A transport that
   * reconnects by itself (AMQP) moves to the next URL on a connection error; the others use the first.
   */
  alternates?: readonly BrokerUrl[];
  failoverStrategy?: FailoverStrategy;
}

/** What a transport package exports as `transport`, for the registry to create instances. */
export interface TransportDefinition {
  name: string;
  /**
   * Creates an unconnected transport. `options` are kombu's `transport_options`
   * (Celery `broker_transport_options`), with keys as written there; `info` carries `ssl`.
   */
  create(url: BrokerUrl, options: Record<string, unknown>, info?: TransportConnectionInfo): Transport;
}

/**
 * A lock with a lease, kept in a store several processes share (beat's one-active-beat lock; kombu
 * has none, Celery runs every `celery beat` it is given). The holder renews the lease well before it
 * ends; when the holder dies, the lease runs out and another holder can take it.
 */
export interface LeaseLock {
  /** A random token naming this holder. */
  readonly token: string;
  /**
   * Takes the lock if free or expired, or renews it if this holder has it, for `leaseMs` ms from now.
   * Resolves true when this holder has the lock afterwards, false when another holder has it.
   * Rejects when the store fails.
   */
  acquire(leaseMs: number): Promise<boolean>;
  /** Gives the lock up if this holder has it (another holder can take it at once). */
  release(): Promise<void>;
  /** Frees what the lock itself opened; a store it was handed (a transport's connection) stays open. */
  close(): Promise<void>;
}

/**
 * Capability of a transport that keeps lease locks in its broker (Redis, SQLite, PostgreSQL), so every process on
 * that broker competes for the same lock. Check it with {@link isLeaseLockProvider}.
 */
export interface LeaseLockProvider {
  /**
   * A lock named `key` in the broker (the transport adds its key prefix, if any). Needs a connected
   * transport to acquire. `token` names the holder; default a random UUID.
   */
  leaseLock(key: string, token?: string): LeaseLock;
}

/** True when `transport` offers {@link LeaseLockProvider.leaseLock}. */
export function isLeaseLockProvider<T extends object>(transport: T): transport is T & LeaseLockProvider {
  return typeof (transport as Partial<LeaseLockProvider>).leaseLock === 'function';
}

/**
 * What a transport needs of a caller's database client to write through it: `pg`'s `Client`,
 * `PoolClient` and `Pool` all fit. Typed structurally so nothing above the transport depends on a
 * driver.
 */
export interface TransactionClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * Capability of a channel (or transport) whose broker lives in a database the caller can write to
 * in a transaction of their own (PostgreSQL): enqueueing inside the caller's transaction, as Graphile
 * Worker and pg-boss offer (kombu has none). Check it with {@link isTransactionalPublisher}.
 */
export interface TransactionalPublisher {
  /**
   * Routes `message` through `exchange` with `routingKey` as `publish` does, but writes through
   * `client`: inside the caller's transaction when one is open there (nothing is visible to consumers
   * before it commits, and a rollback leaves nothing), in one autocommitted statement otherwise.
   * Consumers are woken only on commit. Rejects with the transport's kombu errors; a failed statement
   * aborts the caller's transaction, as any failed statement does.
   */
  publishIn(client: TransactionClient, message: RawMessage, exchange: string, routingKey: string): Promise<void>;
}

/** True when `target` offers {@link TransactionalPublisher.publishIn} (PostgreSQL channels and transports). */
export function isTransactionalPublisher<T extends object>(target: T): target is T & TransactionalPublisher {
  return typeof (target as Partial<TransactionalPublisher>).publishIn === 'function';
}

/** A value, or a promise of it: a store answers synchronously (a local file) or not (a server). */
export type Awaitable<T> = T | Promise<T>;

/** Persisted state of one beat entry (Celery's shelve: `last_run_at`, `total_run_count`). */
export interface ScheduleEntryState {
  lastRunAt: Date;
  totalRunCount: number;
}

/**
 * Where beat keeps its schedule state between runs (Celery `PersistentScheduler` and its shelve,
 * `beat_schedule_filename`): per entry the last run and the run count, plus meta values (the time
 * zone the state was written under). Kept here beside {@link LeaseLock} so a broker's transport can
 * offer one ({@link ScheduleStoreProvider}); @cq/beat's SQLite file is the default.
 */
export interface ScheduleStore {
  /** Every stored entry state by entry name. */
  load(): Awaitable<Map<string, ScheduleEntryState>>;
  /** Writes one entry's state; resolves once it is durable (beat saves before it sends). */
  save(name: string, state: ScheduleEntryState): Awaitable<void>;
  remove(name: string): Awaitable<void>;
  /** Drops every entry state (Celery resets the shelve when the time zone changes). */
  clear(): Awaitable<void>;
  getMeta(key: string): Awaitable<string | null>;
  setMeta(key: string, value: string): Awaitable<void>;
  /** Frees what the store itself opened; a store it was handed (a transport's pool) stays open. */
  close(): Awaitable<void>;
}

/**
 * Capability of a transport that keeps beat's schedule state in its broker (PostgreSQL), so a beat
 * can move between machines without losing it. Check it with {@link isScheduleStoreProvider}.
 */
export interface ScheduleStoreProvider {
  /**
   * The schedule state named `scope` in the broker (beats that share a scope share the state: beat
   * uses its lock key). Needs a connected transport to read or write.
   */
  scheduleStore(scope: string): ScheduleStore;
}

/** True when `transport` offers {@link ScheduleStoreProvider.scheduleStore}. */
export function isScheduleStoreProvider<T extends object>(transport: T): transport is T & ScheduleStoreProvider {
  return typeof (transport as Partial<ScheduleStoreProvider>).scheduleStore === 'function';
}

/** RabbitMQ's queue types Celery declares (`x-queue-type`): Celery `task_default_queue_type`. */
export type QueueType = 'classic' | 'quorum';

/**
 * Capability of a channel whose broker delays messages itself (kombu
 * `kombu/transport/native_delayed_delivery.py`, used by Celery 5.5+ with quorum queues on RabbitMQ):
 * a chain of TTL queues (`celery_delayed_0` … `celery_delayed_27`) holds a message for the binary
 * digits of its delay and then dead-letters it to `celery_delayed_delivery`, which routes it on to
 * the task exchanges bound there. Check it with {@link isNativeDelayedDelivery}.
 */
export interface NativeDelayedDelivery {
  /** Declares the delay exchanges, queues (of `queueType`) and bindings as kombu does; idempotent. */
  declareDelayedDelivery(queueType: QueueType): Promise<void>;
  /**
   * Binds the exchange(s) of `queue` to the delivery exchange and `queue` to them with `#.<key>`
   * (kombu `bind_queue_to_native_delayed_delivery_exchange`). Direct exchanges cannot take part: they
   * are skipped and named in `skipped`.
   */
  bindQueueToDelayedDelivery(queue: Queue): Promise<{ skipped: string[] }>;
  /**
   * Where to publish a message that must wait `countdown` seconds (truncated to whole seconds, as
   * Celery's `int(countdown)`) before it reaches `routingKey`: the first delay exchange and kombu's
   * `calculate_routing_key`. Null when the delay is below 1 s or beyond the 28 levels (2^28 s).
   */
  delayedRoute(countdown: number, routingKey: string): { exchange: string; routingKey: string } | null;
}

/** True when `target` offers {@link NativeDelayedDelivery} (AMQP channels). */
export function isNativeDelayedDelivery<T extends object>(target: T): target is T & NativeDelayedDelivery {
  const t = target as Partial<NativeDelayedDelivery>;
  return typeof t.declareDelayedDelivery === 'function' && typeof t.bindQueueToDelayedDelivery === 'function' && typeof t.delayedRoute === 'function';
}
