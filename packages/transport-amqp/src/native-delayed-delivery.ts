/**
 * RabbitMQ native delayed delivery, as kombu writes it (`kombu/transport/native_delayed_delivery.py`,
 * used by Celery 5.5+ for countdown/ETA tasks when quorum queues are in use), so cq and Python
 * workers share one set of delay queues on one broker.
 *
 * A delay in whole seconds is written as 28 binary digits, most significant first, joined by dots and
 * followed by the destination routing key (`calculate_routing_key`): 5 s to `celery` is
 * `0.0.….0.1.0.1.celery`. The message is published to the topic exchange `celery_delayed_27`. Exchange
 * `celery_delayed_L` looks at digit 27−L: a `1` routes it into queue `celery_delayed_L`, whose
 * `x-message-ttl` is 2^L s and which dead-letters to exchange `celery_delayed_{L-1}` (level 0: to
 * `celery_delayed_delivery`), keeping the routing key; a `0` passes it straight to the next exchange
 * (an exchange-to-exchange binding). The total wait is the sum of the `1` digits. Every task exchange
 * is bound from `celery_delayed_delivery` with `#.<binding key>`, and its queue to it with the same
 * key, so the delayed message lands in its queue with the long routing key. Direct exchanges cannot
 * match `#.` keys: their queues do not take part (kombu logs a warning, so does cq).
 *
 * Not followed: kombu 5.6's optional name `prefix` (cq always uses the unprefixed names Celery's
 * worker declares).
 */
import type { Queue, QueueType } from '@cq/kombu';
import type { Declaration } from './channel.js';

/** kombu `MAX_NUMBER_OF_BITS_TO_USE`: the levels, so the longest delay is 2^28 − 1 s (about 8.5 years). */
export const MAX_NUMBER_OF_BITS_TO_USE = 28;
/** kombu `MAX_LEVEL`: the first exchange a delayed message is published to is `celery_delayed_27`. */
export const MAX_LEVEL = MAX_NUMBER_OF_BITS_TO_USE - 1;
/** kombu `CELERY_DELAYED_DELIVERY_EXCHANGE`: where delayed messages leave the delay chain. */
export const CELERY_DELAYED_DELIVERY_EXCHANGE = 'celery_delayed_delivery';

/** kombu's `DELAYED_DELIVERY_PREFIX_REGEX`: the 28 digits `calculate_routing_key` prepends. */
const DELAY_PREFIX = new RegExp(`^(?:[01]\\.){${MAX_NUMBER_OF_BITS_TO_USE}}`);

/** The exchange and queue of level `level` (kombu `level_name`). @throws RangeError below 0. */
export function levelName(level: number): string {
  if (!Number.isInteger(level) || level < 0) throw new RangeError('level must be a non-negative integer');
  return `celery_delayed_${level}`;
}

/**
 * The routing key of a message delayed by `countdown` whole seconds on its way to `routingKey`
 * (kombu `calculate_routing_key`). A delay prefix already on `routingKey` (a retry re-sending what it
 * received) is dropped first, as kombu 5.6 does, so prefixes never pile up.
 * @throws RangeError when `countdown` is not an integer in 1 … 2^28 − 1, or `routingKey` is empty.
 */
export function calculateRoutingKey(countdown: number, routingKey: string): string {
  if (!Number.isInteger(countdown) || countdown < 1) throw new RangeError('countdown must be a positive integer of seconds');
  if (countdown >= 2 ** MAX_NUMBER_OF_BITS_TO_USE) throw new RangeError(`countdown must be below 2^${MAX_NUMBER_OF_BITS_TO_USE} s`);
  if (!routingKey) throw new RangeError('routing_key must be non-empty');
  const digits = countdown.toString(2).padStart(MAX_NUMBER_OF_BITS_TO_USE, '0');
  return `${[...digits].join('.')}.${stripDelayPrefix(routingKey)}`;
}

/** `routingKey` without a delayed-delivery prefix (the routing key a delayed message was meant for). */
export function stripDelayPrefix(routingKey: string): string {
  return routingKey.replace(DELAY_PREFIX, '');
}

/**
 * The exchange and routing key to publish a message delayed by `countdown` seconds (truncated, as
 * Celery's `int(countdown)` in `send_task`), or null when that is under 1 s or 2^28 s or more: then
 * the message is sent as usual and the worker holds it until its ETA.
 */
export function delayedRoute(countdown: number, routingKey: string): { exchange: string; routingKey: string } | null {
  const whole = Math.trunc(countdown);
  if (!(whole >= 1 && whole < 2 ** MAX_NUMBER_OF_BITS_TO_USE) || !routingKey) return null;
  return { exchange: levelName(MAX_LEVEL), routingKey: calculateRoutingKey(whole, routingKey) };
}

/**
 * Everything kombu's `declare_native_delayed_delivery_exchanges_and_queues` declares, in its order:
 * for levels 27 → 0 the topic exchange, the queue (`x-queue-type`, `x-overflow: reject-publish`,
 * `x-message-ttl` 2^L × 1000 ms, `x-dead-letter-exchange` the next level or the delivery exchange, and
 * for quorum queues `x-dead-letter-strategy: at-least-once`) and its binding (`*.`×(27−L) + `1.#`);
 * then the exchange-to-exchange bindings L → L−1 (`*.`×(27−L) + `0.#`); last the delivery exchange,
 * bound from level 0 with `*.`×27 + `0.#`. Exchanges and queues are durable, not auto-deleted.
 * @throws RangeError for a queue type other than `classic` or `quorum` (kombu's ValueError).
 */
export function delayedDeliveryTopology(queueType: QueueType): Declaration[] {
  if (queueType !== 'classic' && queueType !== 'quorum') throw new RangeError(`queue_type must be either classic or quorum, got ${JSON.stringify(queueType)}`);
  const out: Declaration[] = [];
  const topic = (name: string): Declaration => ({ kind: 'exchange', exchange: { name, type: 'topic', durable: true, autoDelete: false, arguments: {} } });
  let key = '1.#';
  for (let level = MAX_LEVEL; level >= 0; level--) {
    const name = levelName(level);
    const args: Record<string, unknown> = {
      'x-queue-type': queueType,
      'x-overflow': 'reject-publish',
      'x-message-ttl': 2 ** level * 1000,
      'x-dead-letter-exchange': level > 0 ? levelName(level - 1) : CELERY_DELAYED_DELIVERY_EXCHANGE,
    };
    if (queueType === 'quorum') args['x-dead-letter-strategy'] = 'at-least-once';
    out.push(topic(name));
    out.push({ kind: 'queue', queue: { name, durable: true, exclusive: false, autoDelete: false, arguments: args } });
    out.push({ kind: 'binding', binding: { queue: name, exchange: name, routingKey: key, arguments: {} } });
    key = `*.${key}`;
  }
  key = '0.#';
  for (let level = MAX_LEVEL; level >= 1; level--) {
    out.push({ kind: 'exchangeBinding', binding: { destination: levelName(level - 1), source: levelName(level), routingKey: key, arguments: {} } });
    key = `*.${key}`;
  }
  out.push(topic(CELERY_DELAYED_DELIVERY_EXCHANGE));
  out.push({ kind: 'exchangeBinding', binding: { destination: CELERY_DELAYED_DELIVERY_EXCHANGE, source: levelName(0), routingKey: key, arguments: {} } });
  return out;
}

/**
 * The bindings kombu's `bind_queue_to_native_delayed_delivery_exchange` makes for `queue`: for each
 * exchange the queue is bound to (its `bindings`, else its exchange, as `Queue.declare` binds them),
 * unless direct: the exchange from the delivery exchange and the queue from the exchange, both with
 * `#.<binding key>` (the key as it is when it already starts with `#`). Direct exchanges, including
 * the default exchange, are listed in `skipped`.
 */
export function delayedDeliveryBindings(queue: Queue): { declarations: Declaration[]; skipped: string[] } {
  const bound = queue.bindings.length > 0
    ? queue.bindings.map((b) => ({ exchange: b.exchange, routingKey: b.routingKey }))
    : [{ exchange: queue.exchange, routingKey: queue.routingKey }];
  const declarations: Declaration[] = [];
  const skipped: string[] = [];
  for (const { exchange, routingKey } of bound) {
    if (exchange.type === 'direct' || exchange.name === '') {
      skipped.push(exchange.name);
      continue;
    }
    const key = routingKey.startsWith('#') ? routingKey : `#.${routingKey}`;
    declarations.push({ kind: 'exchangeBinding', binding: { destination: exchange.name, source: CELERY_DELAYED_DELIVERY_EXCHANGE, routingKey: key, arguments: {} } });
    declarations.push({ kind: 'binding', binding: { queue: queue.name, exchange: exchange.name, routingKey: key, arguments: {} } });
  }
  return { declarations, skipped };
}
