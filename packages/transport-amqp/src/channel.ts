/**
 * AmqpChannel: a cq {@link Channel} over one amqplib channel that survives reconnects.
 *
 * The channel records what it declared (exchanges, queues, bindings, in order), its prefetch and its
 * consumers. When the transport reconnects it opens a fresh amqplib channel, declares everything again
 * and resumes every consumer under its old tag. When only the amqplib channel died (e.g. a 404 on
 * `get`), the next operation opens a new one and resumes the consumers. Delivery tags are written
 * `<generation>:<tag>`; an ack or reject for a tag of an older generation is ignored, since the broker
 * has already requeued that message.
 *
 * Acks are gathered for one turn of the event loop and sent in one write; those below every delivery
 * still unsettled on the channel go as one `basic.ack` with `multiple` set (AMQP 0-9-1), the rest one
 * by one. The broker then handles one frame for a run of early acks instead of one per message.
 *
 * A message whose header table cannot be read (nested past what amqplib's or our recursive decoders
 * take, an unknown type tag: only a hostile publisher writes one) is rejected without requeue and
 * reported to the transport's `onInvalidMessage` (`CQ_AMQP_BAD_HEADERS`), never delivered.
 */
import type * as Amqplib from 'amqplib';
import {
  DecodeError, MAX_DECODED_DEPTH, OperationalError, exceedsDepth, reportInvalidMessage, type BindingDeclaration, type Channel, type ConsumeOptions, type Delivery, type DeliveryCallback,
  type ExchangeDeclaration, type MessageProperties, type NativeDelayedDelivery, type Queue, type QueueDeclaration, type QueueType, type RawMessage,
} from '@cq/kombu';
import { UNDECODABLE_TABLE, corkUntilNextTurn } from './amqplib.js';
import { isRecoverable, toTransportError } from './errors.js';
import { fromWireValue, toWireTable } from './field-table.js';
import { delayedDeliveryBindings, delayedDeliveryTopology, delayedRoute } from './native-delayed-delivery.js';
import type { AmqpTransport } from './transport.js';

/** The basic properties as amqplib's codec decodes them (its types say `any` for each). */
interface DecodedProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string | number;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
}

/** An exchange-to-exchange binding (AMQP exchange.bind; kombu `Exchange.bind_to`): `source` routes into `destination`. */
export interface ExchangeBindingDeclaration {
  destination: string;
  source: string;
  routingKey: string;
  arguments: Record<string, unknown>;
}

/** What a channel declared, kept to declare again after a reconnect. */
export type Declaration =
  | { kind: 'exchange'; exchange: ExchangeDeclaration }
  | { kind: 'queue'; queue: QueueDeclaration }
  | { kind: 'binding'; binding: BindingDeclaration }
  | { kind: 'exchangeBinding'; binding: ExchangeBindingDeclaration };

interface ConsumerRecord {
  queue: string;
  callback: DeliveryCallback;
  noAck: boolean;
}

type AnyChannel = Amqplib.Channel | Amqplib.ConfirmChannel;

/** The error that closed an amqplib channel, as its 'error' event reported it. */
const channelErrors = new WeakMap<AnyChannel, Error>();

export class AmqpChannel implements Channel, NativeDelayedDelivery {
  private ch: AnyChannel | null = null;
  private opening: Promise<AnyChannel> | null = null;
  private generation = 0;
  private closed = false;
  private prefetch = 0;
  private prefetchGlobal = true;
  private redeclare = false;
  private readonly declarations: Declaration[] = [];
  private readonly consumers = new Map<string, ConsumerRecord>();
  /** Unsettled delivery tags of the current generation. */
  private readonly unacked = new Set<number>();
  /** Acks of this turn, sent by {@link flushAcks}. */
  private pendingAcks: number[] = [];
  private tagCounter = 0;

  constructor(protected readonly transport: AmqpTransport) {}

  get isOpen(): boolean {
    return !this.closed && this.transport.isConnected;
  }

  async declareExchange(exchange: ExchangeDeclaration): Promise<void> {
    if (exchange.name === '' || exchange.name.startsWith('amq.')) return; // default/builtin exchanges
    await this.run(`declaring exchange ${exchange.name}`, (ch) => declareExchange(ch, exchange));
    this.remember({ kind: 'exchange', exchange });
  }

  async declareQueue(queue: QueueDeclaration): Promise<{ messageCount: number }> {
    const reply = await this.run(`declaring queue ${queue.name}`, (ch) => declareQueue(ch, queue));
    this.remember({ kind: 'queue', queue });
    return { messageCount: reply.messageCount };
  }

  async bindQueue(binding: BindingDeclaration): Promise<void> {
    if (binding.exchange === '') return; // every queue is bound to the default exchange
    await this.run(`binding ${binding.queue} to ${binding.exchange}`, (ch) => bindQueue(ch, binding));
    this.remember({ kind: 'binding', binding });
  }

  /** Binds exchange `destination` to `source` (AMQP exchange.bind); remembered and declared again after a reconnect. */
  async bindExchange(binding: ExchangeBindingDeclaration): Promise<void> {
    await this.run(`binding exchange ${binding.destination} to ${binding.source}`, (ch) => bindExchange(ch, binding));
    this.remember({ kind: 'exchangeBinding', binding });
  }

  async deleteExchange(name: string): Promise<void> {
    if (name === '' || name.startsWith('amq.')) return; // default/builtin exchanges
    await this.run(`deleting exchange ${name}`, (ch) => ch.deleteExchange(name));
    this.forget((d) => (d.kind === 'exchange' && d.exchange.name === name) || (d.kind === 'binding' && d.binding.exchange === name)
      || (d.kind === 'exchangeBinding' && (d.binding.source === name || d.binding.destination === name)));
  }

  /** Declares the delay exchanges and queues of native delayed delivery (see native-delayed-delivery.ts). */
  async declareDelayedDelivery(queueType: QueueType): Promise<void> {
    for (const d of delayedDeliveryTopology(queueType)) await this.declare(d);
  }

  /** Binds `queue` (and its exchanges) to the delivery exchange; direct exchanges are skipped and named. */
  async bindQueueToDelayedDelivery(queue: Queue): Promise<{ skipped: string[] }> {
    const { declarations, skipped } = delayedDeliveryBindings(queue);
    for (const d of declarations) await this.declare(d);
    return { skipped };
  }

  delayedRoute(countdown: number, routingKey: string): { exchange: string; routingKey: string } | null {
    return delayedRoute(countdown, routingKey);
  }

  async deleteQueue(queue: string): Promise<number> {
    const reply = await this.run(`deleting queue ${queue}`, (ch) => ch.deleteQueue(queue));
    this.forget((d) => (d.kind === 'queue' && d.queue.name === queue) || (d.kind === 'binding' && d.binding.queue === queue));
    return reply.messageCount;
  }

  async purge(queue: string): Promise<number> {
    return (await this.run(`purging ${queue}`, (ch) => ch.purgeQueue(queue))).messageCount;
  }

  /** Publishes; with `confirm_publish` resolves after the broker's confirm. Retried once after a reconnect. */
  async publish(message: RawMessage, exchange: string, routingKey: string): Promise<void> {
    const options = publishOptions(message);
    const send = (ch: AnyChannel) => new Promise<void>((resolve, reject) => {
      corkUntilNextTurn(ch);
      if (this.transport.confirmPublish) {
        (ch as Amqplib.ConfirmChannel).publish(exchange, routingKey, message.body, options, (err) => {
          // a nack because the channel closed: report the broker's reason (e.g. 404) once it is known
          if (err) setImmediate(() => reject(channelErrors.get(ch) ?? err));
          else resolve();
        });
      } else {
        ch.publish(exchange, routingKey, message.body, options);
        resolve();
      }
    });
    try {
      await this.run(`publishing to ${exchange || '(default)'}/${routingKey}`, send);
    } catch (err) {
      if (this.closed || (!isRecoverable(err) && this.transport.isConnected)) throw err;
      await this.run(`publishing to ${exchange || '(default)'}/${routingKey}`, send);
    }
  }

  async get(queue: string, options: { noAck?: boolean } = {}): Promise<Delivery | null> {
    const noAck = options.noAck ?? false;
    for (;;) {
      const { msg, generation, ch } = await this.run(`getting from ${queue}`, async (ch) => ({ msg: await ch.get(queue, { noAck }), generation: this.generation, ch }));
      if (!msg) return null;
      const delivery = this.deliveryOrDrop(ch, msg, queue, generation, noAck);
      if (delivery) return delivery;
    }
  }

  async consume(queue: string, callback: DeliveryCallback, options: ConsumeOptions = {}): Promise<string> {
    const consumerTag = options.consumerTag ?? `cq.${process.pid}.${++this.tagCounter}.${Math.random().toString(36).slice(2, 8)}`;
    const record: ConsumerRecord = { queue, callback, noAck: options.noAck ?? false };
    await this.run(`consuming from ${queue}`, (ch) => this.startConsumer(ch, consumerTag, record));
    this.consumers.set(consumerTag, record);
    return consumerTag;
  }

  async cancel(consumerTag: string): Promise<void> {
    if (!this.consumers.delete(consumerTag)) return;
    if (this.ch) await this.run(`cancelling ${consumerTag}`, (ch) => ch.cancel(consumerTag));
  }

  async qos(prefetchCount: number, applyGlobal = true): Promise<void> {
    // global=true: RabbitMQ applies a per-channel limit to the running consumers at once (its
    // per-consumer limit, global=false, binds only consumers created later). Celery sets apply_global
    // for RabbitMQ (`qos_semantics_matches_spec` is false) so that a worker can raise it while ETA tasks
    // are held, unless it consumes a quorum queue: those refuse a channel with global QoS (540
    // NOT_IMPLEMENTED, which closes the connection), so Celery 5.5 and cq set a per-consumer limit then.
    await this.run('setting qos', (ch) => ch.prefetch(prefetchCount, applyGlobal));
    this.prefetch = prefetchCount;
    this.prefetchGlobal = applyGlobal;
  }

  async ack(deliveryTag: string): Promise<void> {
    const tag = this.liveTag(deliveryTag);
    if (tag === null || !this.ch) return;
    this.unacked.delete(tag);
    if (this.pendingAcks.push(tag) === 1) {
      const ch = this.ch;
      setImmediate(() => this.flushAcks(ch));
    }
  }

  /**
   * Sends the acks gathered this turn now (see the module note); called at the end of the turn and
   * before the channel or the connection closes. Acks for a channel that was replaced meanwhile are
   * dropped: the broker requeued those messages. @internal
   */
  flushAcks(ch: AnyChannel | null = this.ch): void {
    if (this.pendingAcks.length === 0) return;
    const tags = this.pendingAcks.sort((a, b) => a - b);
    this.pendingAcks = [];
    if (ch === null || ch !== this.ch) return;
    try {
      this.sendAcks(ch, tags);
    } catch {
      // the connection is closing: the broker requeues what was not acked, as for any lost ack
    }
  }

  private sendAcks(ch: AnyChannel, tags: number[]): void {
    corkUntilNextTurn(ch);
    // The lowest unsettled tag: every pending ack below it can be one `multiple` ack. Scanning a huge
    // set (ETA tasks held by the thousand) costs more than it saves: then each ack goes alone.
    let floor = -Infinity;
    if (this.unacked.size <= 4096) {
      floor = Infinity;
      for (const t of this.unacked) if (t < floor) floor = t;
    }
    let i = 0;
    while (i < tags.length && tags[i]! < floor) i++;
    if (i > 0) ch.ack(fakeMessage(tags[i - 1]!), i > 1);
    for (; i < tags.length; i++) ch.ack(fakeMessage(tags[i]!));
  }

  async reject(deliveryTag: string, requeue: boolean): Promise<void> {
    const tag = this.liveTag(deliveryTag);
    if (tag === null || !this.ch) return;
    this.unacked.delete(tag);
    corkUntilNextTurn(this.ch);
    this.ch.reject(fakeMessage(tag), requeue);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushAcks();
    this.closed = true;
    this.transport.forgetChannel(this);
    const ch = this.ch;
    this.ch = null;
    this.consumers.clear();
    if (ch) await ch.close().catch(() => undefined);
  }

  /** Called by the transport when the connection dropped: the next channel re-declares everything. */
  connectionLost(): void {
    this.ch = null;
    this.redeclare = true;
  }

  /** Called by the transport after a reconnect: new amqplib channel, declarations, consumers. */
  async recover(): Promise<void> {
    if (!this.closed) await this.channel();
  }

  /** The live amqplib channel, opening one (declarations, qos and consumers restored) when needed. */
  private channel(): Promise<AnyChannel> {
    if (this.closed) return Promise.reject(new OperationalError('the AMQP channel is closed'));
    if (this.ch) return Promise.resolve(this.ch);
    this.opening ??= this.open().finally(() => { this.opening = null; });
    return this.opening;
  }

  private async open(): Promise<AnyChannel> {
    for (let attempt = 0; ; attempt++) {
      const model = await this.transport.model();
      const ch: AnyChannel = this.transport.confirmPublish ? await model.createConfirmChannel() : await model.createChannel();
      let alive = true;
      ch.on('error', (err: Error) => { channelErrors.set(ch, err); }); // reported through the failing operation
      ch.on('close', () => {
        alive = false;
        if (this.ch === ch) this.ch = null;
      });
      this.generation++;
      this.unacked.clear();
      if (this.redeclare) {
        for (const d of this.declarations) await declareOn(ch, d);
        this.redeclare = false;
      }
      if (this.prefetch > 0) await ch.prefetch(this.prefetch, this.prefetchGlobal);
      for (const [tag, record] of [...this.consumers]) {
        try {
          await this.startConsumer(ch, tag, record);
        } catch {
          this.consumers.delete(tag); // its queue is gone: nothing left to resume
          break;
        }
      }
      if (alive || attempt >= 3) {
        this.ch = alive ? ch : null;
        return ch;
      }
    }
  }

  private async run<T>(doing: string, op: (ch: AnyChannel) => Promise<T>): Promise<T> {
    try {
      return await op(await this.channel());
    } catch (err) {
      throw toTransportError(err, doing);
    }
  }

  private async startConsumer(ch: AnyChannel, consumerTag: string, record: ConsumerRecord): Promise<void> {
    const generation = this.generation;
    await ch.consume(record.queue, (msg) => {
      if (msg === null) {
        this.consumers.delete(consumerTag); // cancelled by the broker (queue deleted)
        return;
      }
      const delivery = this.deliveryOrDrop(ch, msg, record.queue, generation, record.noAck);
      if (delivery) record.callback(delivery);
    }, { consumerTag, noAck: record.noAck });
  }

  /** The delivery of `msg`, or null once a message whose headers cannot be read was rejected and reported. */
  private deliveryOrDrop(ch: AnyChannel, msg: Amqplib.Message, queue: string, generation: number, noAck: boolean): Delivery | null {
    try {
      return this.toDelivery(msg, queue, generation, noAck);
    } catch (err) {
      if (!noAck) ch.nack(msg, false, false);
      const reason = `headers cannot be decoded: ${err instanceof Error ? err.message : String(err)}`;
      reportInvalidMessage(this.transport, { queue, reason, code: 'CQ_AMQP_BAD_HEADERS', outcome: 'dropped' });
      return null;
    }
  }

  private toDelivery(msg: Amqplib.Message, queue: string, generation: number, noAck: boolean): Delivery {
    const { fields } = msg;
    const p = msg.properties as DecodedProperties;
    const headers = readHeaders(p.headers);
    if (!noAck) this.unacked.add(fields.deliveryTag);
    const properties: MessageProperties = {};
    if (p.correlationId !== undefined) properties.correlation_id = p.correlationId;
    if (p.replyTo !== undefined) properties.reply_to = p.replyTo;
    if (p.deliveryMode !== undefined) properties.delivery_mode = p.deliveryMode;
    if (p.priority !== undefined) properties.priority = p.priority;
    if (p.expiration !== undefined) properties.expiration = String(p.expiration);
    if (p.messageId !== undefined) properties.message_id = p.messageId;
    if (p.timestamp !== undefined) properties.timestamp = p.timestamp;
    if (p.type !== undefined) properties.type = p.type;
    if (p.userId !== undefined) properties.user_id = p.userId;
    if (p.appId !== undefined) properties.app_id = p.appId;
    const consumerTag = (fields as { consumerTag?: string }).consumerTag;
    return {
      body: msg.content,
      contentType: p.contentType ?? 'application/data',
      contentEncoding: p.contentEncoding ?? 'binary',
      headers,
      properties,
      deliveryTag: `${generation}:${fields.deliveryTag}`,
      redelivered: fields.redelivered,
      deliveryInfo: {
        exchange: fields.exchange,
        routing_key: fields.routingKey,
        redelivered: fields.redelivered,
        queue,
        ...(consumerTag ? { consumer_tag: consumerTag } : {}),
        ...(p.priority !== undefined ? { priority: p.priority } : {}),
      },
    };
  }

  /** The numeric tag when `deliveryTag` belongs to the live channel and is unsettled, else null. */
  private liveTag(deliveryTag: string): number | null {
    const [gen, tag] = deliveryTag.split(':');
    const n = Number(tag);
    if (Number(gen) !== this.generation || !this.unacked.has(n)) return null;
    return n;
  }

  /** Declares `d` through the public method of its kind (so it is remembered). */
  private declare(d: Declaration): Promise<unknown> {
    if (d.kind === 'exchange') return this.declareExchange(d.exchange);
    if (d.kind === 'queue') return this.declareQueue(d.queue);
    if (d.kind === 'binding') return this.bindQueue(d.binding);
    return this.bindExchange(d.binding);
  }

  private remember(d: Declaration): void {
    const key = declarationKey(d);
    const at = this.declarations.findIndex((x) => declarationKey(x) === key);
    if (at >= 0) this.declarations.splice(at, 1);
    this.declarations.push(d);
  }

  private forget(match: (d: Declaration) => boolean): void {
    for (let i = this.declarations.length - 1; i >= 0; i--) if (match(this.declarations[i]!)) this.declarations.splice(i, 1);
  }
}

function declarationKey(d: Declaration): string {
  if (d.kind === 'exchange') return `e:${d.exchange.name}`;
  if (d.kind === 'queue') return `q:${d.queue.name}`;
  if (d.kind === 'binding') return `b:${d.binding.queue}\u0000${d.binding.exchange}\u0000${d.binding.routingKey}`;
  return `x:${d.binding.destination}\u0000${d.binding.source}\u0000${d.binding.routingKey}`;
}

function declareOn(ch: AnyChannel, d: Declaration): Promise<unknown> {
  if (d.kind === 'exchange') return declareExchange(ch, d.exchange);
  if (d.kind === 'queue') return declareQueue(ch, d.queue);
  if (d.kind === 'binding') return bindQueue(ch, d.binding);
  return bindExchange(ch, d.binding);
}

function declareExchange(ch: AnyChannel, e: ExchangeDeclaration) {
  return ch.assertExchange(e.name, e.type, { durable: e.durable, autoDelete: e.autoDelete, arguments: toWireTable(e.arguments) });
}

function declareQueue(ch: AnyChannel, q: QueueDeclaration) {
  return ch.assertQueue(q.name, { durable: q.durable, exclusive: q.exclusive, autoDelete: q.autoDelete, arguments: toWireTable(q.arguments) });
}

function bindQueue(ch: AnyChannel, b: BindingDeclaration) {
  return ch.bindQueue(b.queue, b.exchange, b.routingKey, toWireTable(b.arguments));
}

function bindExchange(ch: AnyChannel, b: ExchangeBindingDeclaration) {
  return ch.bindExchange(b.destination, b.source, b.routingKey, toWireTable(b.arguments));
}

function publishOptions(message: RawMessage): Amqplib.Options.Publish {
  const p = message.properties;
  const options: Amqplib.Options.Publish = {
    contentType: message.contentType,
    contentEncoding: message.contentEncoding,
    headers: toWireTable(message.headers),
  };
  if (p.correlation_id !== undefined) options.correlationId = p.correlation_id;
  if (p.reply_to !== undefined && p.reply_to !== null) options.replyTo = p.reply_to;
  if (p.delivery_mode !== undefined) options.deliveryMode = p.delivery_mode;
  if (p.priority !== undefined) options.priority = p.priority;
  if (p.expiration !== undefined) options.expiration = String(p.expiration);
  if (typeof p.message_id === 'string') options.messageId = p.message_id;
  if (typeof p.type === 'string') options.type = p.type;
  if (typeof p.app_id === 'string') options.appId = p.app_id;
  return options;
}

function fakeMessage(deliveryTag: number): Amqplib.Message {
  return { fields: { deliveryTag } } as unknown as Amqplib.Message;
}

/**
 * The message's header table as plain values.
 * @throws DecodeError when amqplib could not decode it, or it nests more than 1000 levels deep (the
 *   limit of decoded bodies, `@cq/kombu` `MAX_DECODED_DEPTH`; `fromWireValue` recurses).
 */
function readHeaders(table: Record<string | symbol, unknown> | undefined): Record<string, unknown> {
  const failure = table?.[UNDECODABLE_TABLE];
  if (failure !== undefined) throw new DecodeError(String(failure));
  if (exceedsDepth(table, MAX_DECODED_DEPTH)) throw new DecodeError(`nested more than ${MAX_DECODED_DEPTH} levels deep`);
  return fromWireValue(table ?? {}) as Record<string, unknown>;
}
