/**
 * A received message (kombu `kombu/message.py`): the raw delivery, its decoded payload, and the
 * settle operations. A message is settled once: a second ack/reject throws {@link MessageStateError}.
 */
import { decompress } from './compression.js';
import { MessageStateError } from './errors.js';
import { loads, type SerializerScope } from './serialization/index.js';
import { DEFAULT_MAX_BODY_SIZE, assertSize } from './serialization/limits.js';
import type { Channel, Delivery, DeliveryInfo, MessageProperties } from './transport/types.js';

export type MessageState = 'RECEIVED' | 'ACK' | 'REJECTED' | 'REQUEUED';

export class Message {
  state: MessageState = 'RECEIVED';
  private decoded: { value: unknown } | null = null;

  /**
   * @param accept serializer names or content types allowed for `payload` (Celery `accept_content`);
   * null accepts everything.
   * @param serializers an app's own serializers, consulted before the registry (e.g. `auth`).
   * @param maxBodySize most bytes of the body, as received and once decompressed; null = no limit.
   * Default 16 MiB (see `serialization/limits.ts`).
   */
  constructor(
    readonly channel: Channel,
    readonly delivery: Delivery,
    private readonly accept: readonly string[] | null = null,
    private readonly serializers?: SerializerScope,
    private readonly maxBodySize: number | null = DEFAULT_MAX_BODY_SIZE,
  ) {}

  get body(): Buffer { return this.delivery.body; }
  get headers(): Record<string, unknown> { return this.delivery.headers; }
  get properties(): MessageProperties { return this.delivery.properties; }
  get deliveryInfo(): DeliveryInfo { return this.delivery.deliveryInfo; }
  get deliveryTag(): string { return this.delivery.deliveryTag; }
  get contentType(): string { return this.delivery.contentType; }
  get contentEncoding(): string { return this.delivery.contentEncoding; }
  get redelivered(): boolean { return this.delivery.redelivered; }
  get acknowledged(): boolean { return this.state !== 'RECEIVED'; }

  /**
   * The body decompressed (header `compression`) and deserialized. Cached.
   * Throws ContentDisallowedError, DecodeError (DecodeLimitError for a body over the size limit, as
   * received or once decompressed, or nested too deep) or CompressionError.
   */
  get payload(): unknown {
    if (!this.decoded) this.decoded = { value: this.decode() };
    return this.decoded.value;
  }

  /** Decodes without caching. */
  decode(): unknown {
    const compression = this.headers['compression'];
    assertSize(this.body.length, this.maxBodySize, 'message body');
    const body = typeof compression === 'string' && compression !== ''
      ? decompress(this.body, compression, this.maxBodySize ?? undefined) : this.body;
    return loads(body, this.contentType, this.contentEncoding, this.accept, this.serializers);
  }

  /**
   * Acknowledges. Rejects with {@link MessageStateError} when already settled. (Not an `async`
   * function: the channel's promise is handed back as is, one promise fewer per message.)
   */
  ack(): Promise<void> {
    try {
      this.settle('ACK');
      return this.channel.ack(this.deliveryTag);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Rejects; dropped (or dead-lettered) unless `requeue`. Rejects with {@link MessageStateError} when already settled. */
  reject(requeue = false): Promise<void> {
    try {
      this.settle(requeue ? 'REQUEUED' : 'REJECTED');
      return this.channel.reject(this.deliveryTag, requeue);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Puts the message back in its queue. */
  async requeue(): Promise<void> {
    await this.reject(true);
  }

  private settle(next: MessageState): void {
    if (this.state !== 'RECEIVED') {
      throw new MessageStateError(`message ${this.deliveryTag} already ${this.state.toLowerCase()}; it cannot be ${next.toLowerCase()}`);
    }
    this.state = next;
  }
}
