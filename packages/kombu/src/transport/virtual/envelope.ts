/**
 * The kombu virtual-transport message envelope (`kombu/transport/virtual/base.py` `Message` and
 * `Channel.prepare_message`): one JSON object with `body` (base64), `content-encoding`,
 * `content-type`, `headers` and `properties` (with `delivery_info`, `delivery_tag`, `body_encoding`,
 * `priority`). Redis stores exactly this; the SQLite transport stores it too, so one decoder serves all.
 */
import { randomUUID } from 'node:crypto';
import { DecodeError } from '../../errors.js';
import { MAX_DECODED_DEPTH, exceedsDepth } from '../../serialization/limits.js';
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

const CONTENT_KEYS = ['content-type', 'content-encoding'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks that a stored value (parsed from JSON) has the shape of an envelope, as far as a delivery
 * built from it relies on: an object whose `body` is a string, `properties` an object (its
 * `delivery_info` an object with string `exchange`/`routing_key` when present), `headers` an object
 * and `content-type`/`content-encoding`/`body_encoding` strings when present, with nothing nested
 * more than 1000 deep. Anything else a stored message holds is the consumer's to judge.
 * @throws DecodeError saying what is wrong.
 */
export function checkEnvelope(value: unknown): Envelope {
  if (!isObject(value)) return fail('not a JSON object');
  const { properties, headers, body } = value;
  if (typeof body !== 'string') fail('"body" is not a string');
  if (!isObject(properties)) return fail('"properties" is not an object');
  if (headers !== undefined && headers !== null && !isObject(headers)) fail('"headers" is not an object');
  for (const key of CONTENT_KEYS) {
    if (value[key] !== undefined && value[key] !== null && typeof value[key] !== 'string') fail(`"${key}" is not a string`);
  }
  if (properties['body_encoding'] !== undefined && typeof properties['body_encoding'] !== 'string') fail('"body_encoding" is not a string');
  const info = properties['delivery_info'];
  if (info !== undefined && info !== null) {
    if (!isObject(info)) fail('"delivery_info" is not an object');
    else if ((info['exchange'] ?? '') !== '' && typeof info['exchange'] !== 'string') fail('"delivery_info.exchange" is not a string');
    else if ((info['routing_key'] ?? '') !== '' && typeof info['routing_key'] !== 'string') fail('"delivery_info.routing_key" is not a string');
  }
  if (exceedsDepth(value, MAX_DECODED_DEPTH)) fail(`nested more than ${MAX_DECODED_DEPTH} levels deep`);
  return value as unknown as Envelope;
}

function fail(what: string): never {
  throw new DecodeError(`not a kombu envelope: ${what}`);
}

/**
 * Parses a stored envelope (JSON text) and checks it with {@link checkEnvelope}.
 * @throws DecodeError for text that is not JSON or not an envelope.
 */
export function parseEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`not a kombu envelope: not JSON (${(error as Error).message})`, { cause: error });
  }
  return checkEnvelope(value);
}
