/** Producer: serializes, compresses and publishes; see {@link Producer}. */
import { compress } from './compression.js';
import { Exchange, Queue } from './entity.js';
import { TransportError } from './errors.js';
import { dumps, type SerializerScope } from './serialization/index.js';
import type { Channel, MessageProperties, RawMessage } from './transport/types.js';

export interface ProducerOptions {
  /** Default exchange for `publish`. Default: the nameless default exchange. */
  exchange?: Exchange;
  /** Default routing key. Default `''`. */
  routingKey?: string;
  /** Default serializer name. Default `json`. */
  serializer?: string;
  /** Default compression method (`zlib`, `bzip2`) or none. */
  compression?: string | null;
  /** Declare the default exchange before the first publish. Default true. */
  autoDeclare?: boolean;
  /** An app's own serializers (e.g. `auth`), consulted before the registry. Default none. */
  serializers?: SerializerScope;
}

export interface PublishOptions {
  routingKey?: string;
  exchange?: Exchange | string;
  serializer?: string;
  compression?: string | null;
  /** When set, `body` must be a Buffer or string and is sent as is with this content type. */
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  /** 0..255 on AMQP; transports map it. */
  priority?: number;
  /** 1 transient, 2 persistent. Default: the exchange's, else 2. */
  deliveryMode?: number;
  correlationId?: string;
  replyTo?: string;
  /** Per-message TTL in **seconds**; sent as the AMQP `expiration` string of milliseconds. */
  expiration?: number;
  /** Entities to declare first (each once per channel), e.g. the target queue. */
  declare?: Array<Queue | Exchange>;
  /** Extra broker properties. */
  properties?: MessageProperties;
  /**
   * Retry a publish that failed with a recoverable transport error (connection lost or refused),
   * as kombu's `publish(retry=True)` does through `Connection.ensure`. Default false (kombu);
   * the app turns it on with Celery `task_publish_retry`.
   */
  retry?: boolean;
  /** How to retry when `retry` is set (kombu `retry_policy`, Celery `task_publish_retry_policy`). */
  retryPolicy?: RetryPolicy;
}

/**
 * kombu's `retry_policy` (Celery `task_publish_retry_policy`), keys as Celery documents them, times
 * in **seconds**. Retry `n` (0-based) waits `min(interval_start + n × interval_step, interval_max)`.
 * Missing keys take kombu `Connection.ensure`'s defaults.
 */
export interface RetryPolicy {
  /** Retries after the first attempt before the error is rethrown; null = forever. Default null. */
  max_retries?: number | null;
  /** Wait before the first retry, s. Default 1. */
  interval_start?: number;
  /** Added to the wait after each retry, s. Default 1. */
  interval_step?: number;
  /** Longest wait between retries, s. Default 1. */
  interval_max?: number;
}

/** Per channel: `true` once an entity is declared, its declaration's promise while in flight. */
const declaredByChannel = new WeakMap<Channel, Map<Queue | Exchange, Promise<unknown> | true>>();

/** Declares an entity once per channel (kombu `maybe_declare`). */
export async function maybeDeclare(entity: Queue | Exchange, channel: Channel): Promise<void> {
  let seen = declaredByChannel.get(channel);
  if (!seen) declaredByChannel.set(channel, (seen = new Map<Queue | Exchange, Promise<unknown>>()));
  const known = seen.get(entity);
  if (known === true) return;
  if (known) {
    await known;
    return;
  }
  // Kept while in flight, so concurrent first publishes share one declaration; a failed one is forgotten.
  const declared = entity.declare(channel);
  seen.set(entity, declared);
  const forget = seen;
  try {
    await declared;
    if (forget.get(entity) === declared) forget.set(entity, true);
  } catch (err) {
    if (forget.get(entity) === declared) forget.delete(entity);
    throw err;
  }
}

/**
 * Serializes, compresses and publishes messages on one channel (kombu `kombu.Producer`,
 * `kombu/messaging.py`). Each publish option resolves call → producer → default, as in kombu.
 *
 * ```ts
 * const producer = new Producer(await connection.channel(), { exchange: tasks, serializer: 'json' });
 * await producer.publish({ hello: 'world' }, { routingKey: 'celery', declare: [queue], expiration: 60 });
 * ```
 *
 * Producer defaults ({@link ProducerOptions}): `exchange` the nameless default exchange,
 * `routingKey` `''`, `serializer` `json`, `compression` none (`zlib`, `bzip2`, ... by name), and
 * `autoDeclare` true, which declares the producer's exchange once per channel before the first
 * publish. Per call ({@link PublishOptions}): `expiration` is in **seconds** (sent as AMQP's
 * millisecond string), `deliveryMode` defaults to the exchange's, else 2 (persistent), `priority`
 * to 0; `retry` with `retryPolicy` (Celery `task_publish_retry`, `task_publish_retry_policy`, times
 * in seconds) retries recoverable transport errors as kombu's `Connection.ensure` does.
 *
 * Errors: `publish` rejects with `EncodeError` / `CompressionError` before anything is sent, and
 * with a `TransportError` (e.g. `ConnectionError`, recoverable) from the broker.
 */
export class Producer {
  readonly exchange: Exchange;
  readonly routingKey: string;
  readonly serializer: string;
  readonly compression: string | null;
  private readonly autoDeclare: boolean;
  private readonly serializers: SerializerScope | undefined;

  constructor(readonly channel: Channel, options: ProducerOptions = {}) {
    this.exchange = options.exchange ?? new Exchange('');
    this.routingKey = options.routingKey ?? '';
    this.serializer = options.serializer ?? 'json';
    this.compression = options.compression ?? null;
    this.autoDeclare = options.autoDeclare ?? true;
    this.serializers = options.serializers;
  }

  /** Builds the raw message without sending it (useful for tests and for batching). */
  prepare(body: unknown, options: PublishOptions = {}): RawMessage {
    const headers = { ...(options.headers ?? {}) };
    let payload: Buffer;
    let contentType: string;
    let contentEncoding: string;
    if (options.contentType !== undefined) {
      payload = Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8');
      contentType = options.contentType;
      contentEncoding = options.contentEncoding ?? (Buffer.isBuffer(body) ? 'binary' : 'utf-8');
    } else {
      const encoded = dumps(body, options.serializer ?? this.serializer, this.serializers);
      payload = encoded.body;
      contentType = encoded.contentType;
      contentEncoding = encoded.contentEncoding;
    }
    const method = options.compression === undefined ? this.compression : options.compression;
    if (method) {
      const compressed = compress(payload, method);
      payload = compressed.body;
      headers['compression'] = compressed.mimeType;
    }
    const exchange = typeof options.exchange === 'string' ? undefined : options.exchange ?? this.exchange;
    const properties: MessageProperties = {
      ...(options.properties ?? {}),
      delivery_mode: options.deliveryMode ?? exchange?.deliveryMode ?? 2,
      priority: options.priority ?? 0,
    };
    if (options.correlationId !== undefined) properties.correlation_id = options.correlationId;
    if (options.replyTo !== undefined) properties.reply_to = options.replyTo;
    if (options.expiration !== undefined) properties.expiration = String(Math.max(0, Math.trunc(options.expiration * 1000)));
    return { body: payload, contentType, contentEncoding, headers, properties };
  }

  /**
   * Serializes and publishes `body`. Rejects with EncodeError/CompressionError before anything is
   * sent, or with a TransportError from the broker. With `retry`, a recoverable TransportError is
   * retried per `retryPolicy` (entities in `declare` are declared again first, since a restarted
   * broker may have lost them) and rethrown once the policy is spent.
   */
  async publish(body: unknown, options: PublishOptions = {}): Promise<void> {
    const message = this.prepare(body, options);
    if (!options.retry) return this.send(message, options);
    const policy = options.retryPolicy ?? {};
    const maxRetries = policy.max_retries ?? Infinity;
    for (let retries = 0; ; retries++) {
      try {
        return await this.send(message, options);
      } catch (err) {
        if (!(err instanceof TransportError && err.recoverable) || retries >= maxRetries) throw err;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(policy, retries)));
        declaredByChannel.delete(this.channel); // kombu revives the producer: declare again
      }
    }
  }

  /**
   * Declares what this channel has not declared yet (the producer's exchange with `autoDeclare`, then
   * `options.declare`; kombu `maybe_declare`), then publishes. Once all are declared, nothing is awaited
   * before the channel's publish (this runs for every message).
   */
  private send(message: RawMessage, options: PublishOptions): Promise<void> {
    const exchange = options.exchange ?? this.exchange;
    const exchangeName = typeof exchange === 'string' ? exchange : exchange.name;
    const routingKey = options.routingKey ?? this.routingKey;
    const declareExchange = this.autoDeclare && typeof exchange !== 'string' && exchange.name !== '';
    const seen = declaredByChannel.get(this.channel);
    const ready = seen !== undefined && (!declareExchange || seen.get(exchange) === true) && (options.declare ?? []).every((e) => seen.get(e) === true);
    if (ready) return this.channel.publish(message, exchangeName, routingKey);
    return (async () => {
      if (declareExchange) await maybeDeclare(exchange, this.channel);
      for (const entity of options.declare ?? []) await maybeDeclare(entity, this.channel);
      await this.channel.publish(message, exchangeName, routingKey);
    })();
  }
}

/** Wait before retry `retries` (0-based) in ms, per {@link RetryPolicy}. */
function retryDelayMs(policy: RetryPolicy, retries: number): number {
  const { interval_start: start = 1, interval_step: step = 1, interval_max: max = 1 } = policy;
  return Math.max(0, Math.min(start + retries * step, max)) * 1000;
}
