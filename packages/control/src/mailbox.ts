/**
 * The pidbox mailbox (kombu `kombu/pidbox.py` `Mailbox`): the names and declarations every party
 * must agree on, byte for byte, or RabbitMQ refuses the second declaration (406).
 *
 * | Entity | Name | Declaration |
 * |---|---|---|
 * | request exchange | `<control_exchange>.pidbox` (`celery.pidbox`) | fanout, non-durable, transient |
 * | node queue | `<nodename>.celery.pidbox` | non-durable, auto-delete, bound with key `""`, `x-message-ttl` = `control_queue_ttl` (300 s), `x-expires` = `control_queue_expires` (10 s) |
 * | reply exchange | `reply.<control_exchange>.pidbox` (`reply.celery.pidbox`) | direct, non-durable, transient |
 * | reply queue | `<oid>.reply.celery.pidbox` | non-durable, auto-delete, bound with key `<oid>`, same TTL/expiry |
 *
 * On Redis the fanout exchange is PUB/SUB on `/<db>.celery.pidbox` and the reply queue a list; the
 * transport does that. Settings read from the app: `control_exchange` (default `celery`),
 * `control_queue_ttl` (s, default 300), `control_queue_expires` (s, default 10), as in Celery.
 */
import { Exchange, Queue, fnmatch } from '@cq/kombu';
import type { Celery } from '@cq/app';
import { CONTROL_DEFAULTS, controlSettings } from './settings.js';

/** The mailbox settings (Celery `control_exchange`, `control_queue_ttl`, `control_queue_expires`). */
export interface MailboxOptions {
  /** Namespace; the exchange is `<namespace>.pidbox`. Default `celery` (Celery `control_exchange`). */
  namespace?: string;
  /** Message TTL of node and reply queues, in **seconds**. Default 300 (`control_queue_ttl`). */
  queueTtl?: number;
  /** Idle expiry of node and reply queues, in **seconds**. Default 10 (`control_queue_expires`). */
  queueExpires?: number;
}

export class Mailbox {
  readonly namespace: string;
  readonly queueTtl: number;
  readonly queueExpires: number;
  /** `celery.pidbox`, fanout. */
  readonly exchange: Exchange;
  /** `reply.celery.pidbox`, direct. */
  readonly replyExchange: Exchange;

  constructor(options: MailboxOptions = {}) {
    this.namespace = options.namespace ?? CONTROL_DEFAULTS.control_exchange;
    this.queueTtl = options.queueTtl ?? CONTROL_DEFAULTS.control_queue_ttl;
    this.queueExpires = options.queueExpires ?? CONTROL_DEFAULTS.control_queue_expires;
    this.exchange = new Exchange(`${this.namespace}.pidbox`, { type: 'fanout', durable: false, deliveryMode: 1 });
    this.replyExchange = new Exchange(`reply.${this.namespace}.pidbox`, { type: 'direct', durable: false, deliveryMode: 1 });
  }

  /** The mailbox of an app, from its `control_*` settings (see {@link controlSettings}). */
  static fromApp(app: Celery): Mailbox {
    const settings = controlSettings(app.conf);
    return new Mailbox({
      namespace: settings.control_exchange,
      queueTtl: settings.control_queue_ttl,
      queueExpires: settings.control_queue_expires,
    });
  }

  /** A worker's queue `<nodename>.<namespace>.pidbox` (kombu `Mailbox.get_queue`). */
  nodeQueue(hostname: string): Queue {
    return new Queue(`${hostname}.${this.namespace}.pidbox`, {
      exchange: this.exchange, routingKey: '', durable: false, autoDelete: true,
      expires: this.queueExpires, messageTtl: this.queueTtl,
    });
  }

  /** A client's reply queue `<oid>.reply.<namespace>.pidbox` (kombu `Mailbox._get_reply_queue`). */
  replyQueue(oid: string): Queue {
    return new Queue(`${oid}.${this.replyExchange.name}`, {
      exchange: this.replyExchange, routingKey: oid, durable: false, autoDelete: true,
      expires: this.queueExpires, messageTtl: this.queueTtl,
    });
  }
}

/**
 * Whether a node handles a request (kombu `Node.handle_message`): listed in `destination` when
 * one is given; else matching `pattern` with `matcher` (`glob`, the default, or `pcre`) when both
 * are given; else every node.
 */
export function isAddressedTo(hostname: string, body: { destination?: unknown; pattern?: unknown; matcher?: unknown }): boolean {
  const { destination, pattern, matcher } = body;
  if (Array.isArray(destination) && destination.length > 0) return destination.includes(hostname);
  if (typeof destination === 'string' && destination !== '') return destination === hostname;
  if (typeof pattern === 'string' && pattern !== '' && typeof matcher === 'string' && matcher !== '') {
    if (matcher === 'pcre') return new RegExp(`^(?:${pattern})`).test(hostname);
    return fnmatch(pattern).test(hostname);
  }
  return true;
}
