/**
 * The kombu virtual-transport message envelope (`kombu/transport/virtual/base.py` `Message` and
 * `Channel.prepare_message`): one JSON object with `body` (base64), `content-encoding`,
 * `content-type`, `headers` and `properties` (with `delivery_info`, `delivery_tag`, `body_encoding`,
 * `priority`). Redis stores exactly this; the SQLite transport stores it too, so one decoder serves all.
 */
import { randomUUID } from 'node:crypto';
import type { Delivery, RawMessage } from '../types.js';

export interface Envelope {
  body: string;
  'content-encoding': string;
  'content-type': string;
  headers: Record<string, unknown>;
  properties: {
    delivery_info: { exchange: string; routing_key: string; redelivered?: boolean; [k: string]: unknown };
    delivery_tag: string;
    body_encoding: string;
    priority: number;
    [k: string]: unknown;
  };
}

/** Builds the envelope a kombu publisher writes; `delivery_tag` is a fresh uuid4 as kombu's. */
export function toEnvelope(message: RawMessage, exchange: string, routingKey: string): Envelope {
  return {
    body: message.body.toString('base64'),
    'content-encoding': message.contentEncoding,
    'content-type': message.contentType,
    headers: message.headers,
    properties: {
      ...message.properties,
      delivery_info: { exchange, routing_key: routingKey },
      priority: typeof message.properties.priority === 'number' ? message.properties.priority : 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  };
}

/** Marks an envelope as delivered again, as kombu's restore does (header and delivery_info). */
export function markRedelivered(envelope: Envelope): Envelope {
  return {
    ...envelope,
    headers: { ...envelope.headers, redelivered: true },
    properties: { ...envelope.properties, delivery_info: { ...envelope.properties.delivery_info, redelivered: true } },
  };
}

/** Turns a stored envelope into a delivery. `deliveryTag` is the channel's own tag. */
export function fromEnvelope(envelope: Envelope, deliveryTag: string, queue: string): Delivery {
  const { delivery_info, delivery_tag: _tag, body_encoding, ...properties } = envelope.properties;
  const body = body_encoding === 'base64' ? Buffer.from(envelope.body, 'base64') : Buffer.from(envelope.body, 'utf8');
  const redelivered = delivery_info?.redelivered === true || envelope.headers?.['redelivered'] === true;
  return {
    body,
    contentType: envelope['content-type'],
    contentEncoding: envelope['content-encoding'],
    headers: envelope.headers ?? {},
    properties,
    deliveryTag,
    deliveryInfo: { exchange: delivery_info?.exchange ?? '', routing_key: delivery_info?.routing_key ?? queue, redelivered, queue },
    redelivered,
  };
}
