/**
 * The documents of kombu's MongoDB layout (`kombu/transport/mongodb.py`, 5.2 to 5.6), built and read
 * here and nowhere else, so Python kombu and cq read each other's. Pure.
 *
 * | collection (option) | document |
 * |---|---|
 * | `messages` (`messages_collection`) | `{_id: ObjectId, payload: <JSON of the kombu envelope>, queue, priority: 9 - p, expire_at?}` |
 * | `messages.broadcast` (`broadcast_collection`, capped) | `{_id, payload, queue: <fanout exchange>}` |
 * | `messages.routing` (`routing_collection`) | `{_id, exchange, queue, routing_key, pattern: <regex for topic> \| null, expire_at?}` |
 * | `messages.queues` (`queues_collection`, `ttl` only) | `{_id: <queue>, options: {durable, exclusive, auto_delete, arguments, nowait}, expire_at}` |
 *
 * `priority` is kombu's `_get_message_priority(message, reverse=True)`: the message's priority
 * clamped to 0..9, stored as `9 - p`, so an ascending sort takes the highest priority first.
 * `expire_at` is written only with the `ttl` option (kombu writes it as `null` when nothing expires).
 *
 * cq adds two fields kombu never reads: `lease` (`{queue, owner, token, at}`) while a cq consumer
 * holds a message — the `queue` field is moved into it, so Python's `find_one_and_delete({'queue': q})`
 * cannot take a leased message — and `redelivered: true` on a message put back after its consumer
 * lost it.
 */
import type { BindingDeclaration, Envelope, ExchangeType, QueueDeclaration } from '@cq/kombu';
import { markRedelivered } from '@cq/kombu';
import type { Binary, ObjectId } from 'mongodb';

/** kombu's `max_priority` for virtual transports: priorities are clamped to 0..9. */
export const MAX_PRIORITY = 9;

/** A cq consumer's hold on a message (cq's field; kombu never reads it). */
export interface Lease {
  /** The queue the message was taken from (its `queue` field, moved here while leased). */
  queue: string;
  /** The holding transport's id; its renewals keep the lease alive. */
  owner: string;
  /** Names one take, so an ack or restore only touches the lease it was given. */
  token: string;
  /** Server time of the take or the last renewal. */
  at: Date;
}

/** A document of the `messages` collection. */
export interface MessageDocument {
  _id?: ObjectId;
  /** kombu `dumps(message)`: the JSON text of the envelope (bytes from some old writers). */
  payload: string | Binary | Buffer;
  /** The queue; absent while a cq consumer holds the message (see `lease`). */
  queue?: string;
  /** `9 - priority`: lower is taken first. */
  priority: number;
  /** With the `ttl` option: when MongoDB's TTL monitor may delete it (null: never). */
  expire_at?: Date | null;
  redelivered?: boolean;
  lease?: Lease;
}

/** A document of the capped `messages.broadcast` collection: one publish to a fanout exchange. */
export interface BroadcastDocument {
  _id?: ObjectId;
  payload: string | Binary | Buffer;
  /** The fanout exchange's name (kombu names the field `queue`). */
  queue: string;
}

/** A document of `messages.routing`: one binding, read by every process that publishes to the exchange. */
export interface RoutingDocument {
  exchange: string;
  queue: string;
  routing_key: string;
  /** kombu's regex for a topic binding (`TopicExchange.key_to_pattern`), null for direct and fanout. */
  pattern: string | null;
  expire_at?: Date | null;
}

/** A document of `messages.queues` (only with `ttl`): the queue's declaration, for its `x-expires` and `x-message-ttl`. */
export interface QueueDocument {
  _id: string;
  options: { durable: boolean; exclusive: boolean; auto_delete: boolean; arguments: Record<string, unknown>; nowait: boolean };
  expire_at: Date | null;
}

/** Python's `int(value)` for what a priority may be, or null where Python would raise. */
function pythonInt(value: unknown): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return null;
}

/**
 * kombu `_get_message_priority(message, reverse=True)`: `properties.priority` as an int clamped to
 * 0..9 (0 when missing or not a number), stored as `9 - p`.
 */
export function storedPriority(envelope: Pick<Envelope, 'properties'>): number {
  const p = pythonInt(envelope.properties?.priority);
  return MAX_PRIORITY - (p === null ? 0 : Math.max(0, Math.min(p, MAX_PRIORITY)));
}

/** kombu `_put`: the document for `envelope` in `queue`; `expireAt` only with the `ttl` option. */
export function messageDocument(queue: string, envelope: Envelope, expireAt?: Date | null): MessageDocument {
  const doc: MessageDocument = { payload: JSON.stringify(envelope), queue, priority: storedPriority(envelope) };
  if (expireAt !== undefined) doc.expire_at = expireAt;
  return doc;
}

/** kombu `_put_fanout`: the broadcast document of a publish to fanout exchange `exchange`. */
export function broadcastDocument(exchange: string, envelope: Envelope): BroadcastDocument {
  return { payload: JSON.stringify(envelope), queue: exchange };
}

/**
 * kombu `loads(bytes_to_str(msg['payload']))` for a message or broadcast document; a message put back
 * after its consumer was lost (`redelivered: true`) reads as redelivered.
 */
export function envelopeOf(doc: { payload: unknown; redelivered?: unknown }): Envelope {
  const payload = doc.payload;
  const text = typeof payload === 'string' ? payload
    : Buffer.isBuffer(payload) ? payload.toString('utf8')
      : Buffer.from((payload as Binary).buffer).toString('utf8');
  const envelope = JSON.parse(text) as Envelope;
  return doc.redelivered === true ? markRedelivered(envelope) : envelope;
}

/** kombu `TopicExchange.wildcards`. */
const WILDCARDS: Readonly<Record<string, string>> = { '*': '.*?[^\\.]', '#': '.*?' };

/**
 * kombu `TopicExchange.key_to_pattern`: `^…$` with every character that is neither alphanumeric nor
 * one of `.#*` escaped (kombu `escape_regex`), then the words `*` and `#` replaced by kombu's wildcards.
 * Stored in routing documents so Python can match cq's topic bindings.
 */
export function topicPattern(routingKey: string): string {
  let escaped = '';
  for (const c of routingKey) escaped += /[\p{L}\p{N}.#*]/u.test(c) ? c : c === '\0' ? '\\000' : `\\${c}`;
  return `^${escaped.split('.').map((word) => WILDCARDS[word] ?? word).join('\\.')}$`;
}

/** kombu `_queue_bind`'s document: `pattern` is the topic regex for a topic exchange, else null. */
export function routingDocument(binding: BindingDeclaration, type: ExchangeType | undefined, expireAt?: Date | null): RoutingDocument {
  const doc: RoutingDocument = {
    exchange: binding.exchange, queue: binding.queue, routing_key: binding.routingKey,
    pattern: type === 'topic' ? topicPattern(binding.routingKey) : null,
  };
  if (expireAt !== undefined) doc.expire_at = expireAt;
  return doc;
}

/**
 * `now` plus `arguments[name]` milliseconds (kombu `_get_queue_expire`), or null when the queue has
 * no such argument or it is not a number.
 */
export function argumentExpiry(args: Record<string, unknown> | null | undefined, name: string, now: Date): Date | null {
  const ms = Number(args?.[name]);
  return args?.[name] === undefined || args[name] === null || !Number.isFinite(ms) ? null : new Date(now.getTime() + ms);
}

/** kombu `_new_queue` with `ttl`: the queue document's options and `expire_at` (from `x-expires`). */
export function queueDocument(queue: QueueDeclaration, now: Date): QueueDocument {
  return {
    _id: queue.name,
    options: { durable: queue.durable, exclusive: queue.exclusive, auto_delete: queue.autoDelete, arguments: queue.arguments, nowait: false },
    expire_at: argumentExpiry(queue.arguments, 'x-expires', now),
  };
}

/**
 * kombu ≥ 5.3 `_put` with `ttl`: the earlier of the queue's `x-message-ttl` and the message's own
 * `expiration` (ms, AMQP's string); null when neither is set.
 */
export function messageExpiry(queueArguments: Record<string, unknown> | null | undefined, envelope: Envelope, now: Date): Date | null {
  const byQueue = argumentExpiry(queueArguments, 'x-message-ttl', now);
  const expiration = pythonInt(envelope.properties?.expiration);
  const byMessage = expiration === null ? null : new Date(now.getTime() + expiration);
  if (byMessage !== null && (byQueue === null || byMessage < byQueue)) return byMessage;
  return byQueue;
}
