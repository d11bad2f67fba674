/** Consumer: declares queues, sets QoS and delivers messages; see {@link Consumer}. */
import { Queue } from './entity.js';
import { Message } from './message.js';
import type { SerializerScope } from './serialization/index.js';
import type { Channel } from './transport/types.js';

export type MessageCallback = (payload: unknown, message: Message) => void | Promise<void>;

export interface ConsumerOptions {
  queues: Queue[];
  callbacks?: MessageCallback[];
  /** Receives every message undecoded; when set, `callbacks` are not called (kombu `on_message`). */
  onMessage?: (message: Message) => void | Promise<void>;
  /**
   * A payload failed to decode. Default: the message is rejected without requeue and a warning is
   * emitted with its delivery tag (kombu raises; we never let bad input stop a consumer).
   */
  onDecodeError?: (message: Message, error: unknown) => void | Promise<void>;
  /** Serializer names or content types accepted (Celery `accept_content`); null = all. Default `['json']`. */
  accept?: readonly string[] | null;
  /** An app's own serializers (e.g. `auth`), consulted before the registry when decoding. Default none. */
  serializers?: SerializerScope;
  /**
   * cq: most bytes of a message body, as received and once decompressed (a compression bomb stops
   * there); a larger one fails to decode with `DecodeLimitError`. null = no limit. Default 16 MiB.
   */
  maxBodySize?: number | null;
  /** Unacked deliveries allowed (AMQP basic.qos); 0 = unlimited. Default 0. */
  prefetchCount?: number;
  noAck?: boolean;
  /** Declare queues before consuming. Default true. */
  autoDeclare?: boolean;
  /** Reports errors thrown by callbacks. Default: a process warning. */
  onCallbackError?: (error: unknown, message: Message) => void;
}

/**
 * Declares queues, sets QoS and delivers {@link Message}s from one channel (kombu `kombu.Consumer`,
 * `kombu/messaging.py`). With `onMessage`, messages are handed over undecoded (kombu `on_message`);
 * otherwise each callback receives `(payload, message)` in order, and a body that cannot be decoded
 * goes to `onDecodeError`.
 *
 * ```ts
 * const consumer = new Consumer(channel, { queues: [new Queue('celery')], callbacks: [async (body, message) => {
 *   await handle(body);
 *   await message.ack();
 * }], prefetchCount: 10 });
 * await consumer.consume();
 * ```
 *
 * Options ({@link ConsumerOptions}): `accept` lists serializer names or content types (Celery
 * `accept_content`), default `['json']`, null accepts all; a message of another type fails to
 * decode with `ContentDisallowedError`. `prefetchCount` is AMQP `basic.qos` (0 = unlimited, default
 * unset: the channel's). `noAck` default false: the callback must ack, reject or requeue.
 * `autoDeclare` default true declares each queue (and its exchange and bindings) before consuming.
 * Undecodable messages are, by default, rejected without requeue with a process warning
 * `CQ_KOMBU_DECODE` (kombu raises instead); a callback that throws or rejects is reported to
 * `onCallbackError`, by default a process warning `CQ_KOMBU_CALLBACK`, and never stops the consumer.
 * `consume`, `addQueue` and `cancel` reject with the transport's `TransportError`.
 */
export class Consumer {
  readonly queues: Queue[];
  private readonly tags = new Map<string, string>();
  readonly accept: readonly string[] | null;

  constructor(readonly channel: Channel, private readonly options: ConsumerOptions) {
    this.queues = [...options.queues];
    this.accept = options.accept === undefined ? ['json'] : options.accept;
  }

  /** Declares (unless disabled), applies QoS and starts consuming every queue. */
  async consume(): Promise<void> {
    if (this.options.prefetchCount !== undefined) await this.channel.qos(this.options.prefetchCount);
    for (const queue of this.queues) await this.consumeQueue(queue);
  }

  /** Starts consuming one more queue (Celery `add_consumer`). */
  async addQueue(queue: Queue): Promise<void> {
    if (!this.queues.includes(queue)) this.queues.push(queue);
    await this.consumeQueue(queue);
  }

  /** Stops consuming a queue by name (Celery `cancel_consumer`). */
  async cancelByQueue(name: string): Promise<void> {
    const tag = this.tags.get(name);
    if (tag === undefined) return;
    this.tags.delete(name);
    await this.channel.cancel(tag);
  }

  /** Stops consuming every queue. Delivered but unacked messages stay with the channel. */
  async cancel(): Promise<void> {
    for (const name of [...this.tags.keys()]) await this.cancelByQueue(name);
  }

  async qos(prefetchCount: number): Promise<void> {
    await this.channel.qos(prefetchCount);
  }

  /** Names of the queues being consumed. */
  get consuming(): string[] {
    return [...this.tags.keys()];
  }

  private async consumeQueue(queue: Queue): Promise<void> {
    if (this.tags.has(queue.name)) return;
    if (this.options.autoDeclare ?? true) await queue.declare(this.channel);
    const tag = await this.channel.consume(queue.name, (delivery) => this.receive(new Message(this.channel, delivery, this.accept, this.options.serializers, this.options.maxBodySize)), {
      noAck: this.options.noAck ?? false,
    });
    this.tags.set(queue.name, tag);
  }

  private receive(message: Message): void {
    try {
      const result = this.dispatch(message);
      if (result && typeof result.then === 'function') result.catch((error: unknown) => this.report(error, message));
    } catch (error) {
      this.report(error, message);
    }
  }

  /** A callback that threw or rejected: `onCallbackError`, else a process warning. */
  private report(error: unknown, message: Message): void {
    if (this.options.onCallbackError) this.options.onCallbackError(error, message);
    else process.emitWarning(`consumer callback failed for message ${message.deliveryTag}: ${String(error)}`, { code: 'CQ_KOMBU_CALLBACK' });
  }

  private dispatch(message: Message): void | Promise<void> {
    if (this.options.onMessage) return this.options.onMessage(message);
    let payload: unknown;
    try {
      payload = message.payload;
    } catch (error) {
      if (this.options.onDecodeError) return this.options.onDecodeError(message, error);
      process.emitWarning(`cannot decode message ${message.deliveryTag} (${message.contentType}): ${String(error)}; rejected`, { code: 'CQ_KOMBU_DECODE' });
      return message.reject(false);
    }
    const callbacks = this.options.callbacks ?? [];
    if (callbacks.length === 1) return callbacks[0]!(payload, message);
    return (async () => {
      for (const cb of callbacks) await cb(payload, message);
    })();
  }
}
