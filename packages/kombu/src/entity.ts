/**
 * Exchange, Queue and binding: the declarable entities (kombu `kombu/entity.py`). They are plain
 * descriptions; `declare(channel)` sends them to the broker. Argument mapping follows kombu's
 * `to_rabbitmq_queue_arguments`, so a queue declared here equals one declared by Python Celery.
 */
import type { BindingDeclaration, Channel, ExchangeDeclaration, ExchangeType, QueueDeclaration } from './transport/types.js';

export interface ExchangeOptions {
  /** `direct` (default), `topic`, `fanout` or `headers`. */
  type?: ExchangeType;
  /** Survives a broker restart. Default true (kombu default). */
  durable?: boolean;
  /** Deleted when the last queue is unbound. Default false. */
  autoDelete?: boolean;
  /** 1 = transient, 2 = persistent: the default for messages published to it. */
  deliveryMode?: number;
  arguments?: Record<string, unknown>;
}

/**
 * A named exchange (kombu `kombu.Exchange`): a plain description until {@link Exchange.declare}
 * sends it to the broker. The nameless `new Exchange('')` is the broker's default exchange, which
 * routes by queue name and is never declared.
 *
 * ```ts
 * const tasks = new Exchange('tasks', { type: 'topic' });
 * await tasks.declare(channel);
 * ```
 *
 * Options ({@link ExchangeOptions}): `type` `direct` (default), `topic`, `fanout` or `headers`;
 * `durable` default true and `autoDelete` default false, as kombu; `deliveryMode` (1 transient,
 * 2 persistent) is the default for messages a `Producer` publishes to it; `arguments` go to
 * the broker as given. `declare` rejects with the transport's error (a `TransportError`) when the
 * broker refuses, e.g. a redeclaration with another type.
 */
export class Exchange {
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly deliveryMode: number | undefined;
  readonly arguments: Record<string, unknown>;

  constructor(name = '', options: ExchangeOptions = {}) {
    this.name = name;
    this.type = options.type ?? 'direct';
    this.durable = options.durable ?? true;
    this.autoDelete = options.autoDelete ?? false;
    this.deliveryMode = options.deliveryMode;
    this.arguments = options.arguments ?? {};
  }

  toDeclaration(): ExchangeDeclaration {
    return { name: this.name, type: this.type, durable: this.durable, autoDelete: this.autoDelete, arguments: this.arguments };
  }

  /** Declares the exchange; the default exchange `''` is never declared. */
  async declare(channel: Channel): Promise<void> {
    if (this.name !== '') await channel.declareExchange(this.toDeclaration());
  }
}

/** A binding of a queue to an exchange with a routing key (kombu `binding`). */
export class Binding {
  readonly arguments: Record<string, unknown>;
  constructor(
    readonly exchange: Exchange,
    readonly routingKey = '',
    args: Record<string, unknown> = {},
  ) {
    this.arguments = args;
  }
}

/** Shorthand for `new Binding(exchange, routingKey, arguments)`. */
export function binding(exchange: Exchange, routingKey = '', args: Record<string, unknown> = {}): Binding {
  return new Binding(exchange, routingKey, args);
}

export interface QueueOptions {
  /** Exchange to bind to. Default: a direct exchange named like the queue (Celery's default). */
  exchange?: Exchange;
  /** Routing key of the binding. Default: the queue name. */
  routingKey?: string;
  /** Extra bindings (kombu `bindings=[binding(...)]`); when given, `exchange` is not bound. */
  bindings?: Binding[];
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  /** Deleted after this many **seconds** unused (→ `x-expires` in ms). */
  expires?: number;
  /** Message TTL in **seconds** (→ `x-message-ttl` in ms). */
  messageTtl?: number;
  /** → `x-max-length`. */
  maxLength?: number;
  /** → `x-max-length-bytes`. */
  maxLengthBytes?: number;
  /** → `x-max-priority` (Celery `task_queue_max_priority`). */
  maxPriority?: number;
  /** Raw broker arguments, merged after the mapped ones. */
  queueArguments?: Record<string, unknown>;
}

/**
 * A named queue and how it is bound (kombu `kombu.Queue`, Celery's `task_queues` entries): a plain
 * description until {@link Queue.declare} sends it to the broker.
 *
 * ```ts
 * const q = new Queue('celery');                       // bound to direct exchange `celery`, key `celery`
 * const hi = new Queue('hi', { exchange: tasks, routingKey: 'hi.#', maxPriority: 10 });
 * ```
 *
 * Defaults ({@link QueueOptions}) are Celery's: a direct exchange named like the queue and the queue
 * name as routing key; `bindings` replaces that single binding with several. `durable` default true,
 * `exclusive` default false, `autoDelete` default `exclusive`. Time options are in **seconds** and
 * are sent in ms as kombu's `to_rabbitmq_queue_arguments` does: `expires` → `x-expires`,
 * `messageTtl` → `x-message-ttl`; `maxLength`, `maxLengthBytes` and `maxPriority` map to their
 * `x-` arguments, then `queueArguments` is merged over them, so a queue declared here equals one
 * Python Celery declares. `declare` rejects with the transport's error (a `TransportError`) when the
 * broker refuses, e.g. a redeclaration with other arguments (AMQP `PRECONDITION_FAILED`).
 */
export class Queue {
  readonly name: string;
  readonly exchange: Exchange;
  readonly routingKey: string;
  readonly bindings: Binding[];
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Record<string, unknown>;
  readonly maxPriority: number | undefined;

  constructor(name: string, options: QueueOptions = {}) {
    this.name = name;
    this.exchange = options.exchange ?? new Exchange(name, { type: 'direct' });
    this.routingKey = options.routingKey ?? name;
    this.bindings = options.bindings ?? [];
    this.durable = options.durable ?? true;
    this.exclusive = options.exclusive ?? false;
    this.autoDelete = options.autoDelete ?? (this.exclusive ? true : false);
    this.maxPriority = options.maxPriority;
    this.arguments = queueArguments(options);
  }

  toDeclaration(): QueueDeclaration {
    return { name: this.name, durable: this.durable, exclusive: this.exclusive, autoDelete: this.autoDelete, arguments: this.arguments };
  }

  /** Declares the exchange(s), the queue and its binding(s), in that order (kombu `Queue.declare`). */
  async declare(channel: Channel): Promise<void> {
    const declared: BindingDeclaration[] = [];
    if (this.bindings.length === 0) {
      await this.exchange.declare(channel);
      if (this.exchange.name !== '') declared.push({ queue: this.name, exchange: this.exchange.name, routingKey: this.routingKey, arguments: {} });
    } else {
      for (const b of this.bindings) {
        await b.exchange.declare(channel);
        declared.push({ queue: this.name, exchange: b.exchange.name, routingKey: b.routingKey, arguments: b.arguments });
      }
    }
    await channel.declareQueue(this.toDeclaration());
    for (const b of declared) await channel.bindQueue(b);
  }
}

function queueArguments(o: QueueOptions): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (o.expires !== undefined) args['x-expires'] = Math.trunc(o.expires * 1000);
  if (o.messageTtl !== undefined) args['x-message-ttl'] = Math.trunc(o.messageTtl * 1000);
  if (o.maxLength !== undefined) args['x-max-length'] = o.maxLength;
  if (o.maxLengthBytes !== undefined) args['x-max-length-bytes'] = o.maxLengthBytes;
  if (o.maxPriority !== undefined) args['x-max-priority'] = o.maxPriority;
  return { ...args, ...(o.queueArguments ?? {}) };
}
