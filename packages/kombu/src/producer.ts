/**
 * Producer: serializes, compresses and publishes (kombu `kombu/messaging.py` `Producer`).
 * Options resolve call → producer → defaults, as kombu does.
 */
import { compress } from './compression.js';
import { Exchange, Queue } from './entity.js';
import { dumps } from './serialization/index.js';
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
}

const declaredByChannel = new WeakMap<Channel, Set<unknown>>();

/** Declares an entity once per channel (kombu `maybe_declare`). */
export async function maybeDeclare(entity: Queue | Exchange, channel: Channel): Promise<void> {
  let seen = declaredByChannel.get(channel);
  if (!seen) declaredByChannel.set(channel, (seen = new Set()));
  if (seen.has(entity)) return;
  await entity.declare(channel);
  seen.add(entity);
}

export class Producer {
  readonly exchange: Exchange;
  readonly routingKey: string;
  readonly serializer: string;
  readonly compression: string | null;
  private readonly autoDeclare: boolean;

  constructor(readonly channel: Channel, options: ProducerOptions = {}) {
    this.exchange = options.exchange ?? new Exchange('');
    this.routingKey = options.routingKey ?? '';
    this.serializer = options.serializer ?? 'json';
    this.compression = options.compression ?? null;
    this.autoDeclare = options.autoDeclare ?? true;
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
      const encoded = dumps(body, options.serializer ?? this.serializer);
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
   * sent, or with a TransportError from the broker.
   */
  async publish(body: unknown, options: PublishOptions = {}): Promise<void> {
    const message = this.prepare(body, options);
    const exchange = options.exchange ?? this.exchange;
    const exchangeName = typeof exchange === 'string' ? exchange : exchange.name;
    if (this.autoDeclare && typeof exchange !== 'string' && exchange.name !== '') await maybeDeclare(exchange, this.channel);
    for (const entity of options.declare ?? []) await maybeDeclare(entity, this.channel);
    await this.channel.publish(message, exchangeName, options.routingKey ?? this.routingKey);
  }
}
