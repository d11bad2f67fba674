/**
 * Golden values of native delayed delivery against kombu's source. Every expected value below is
 * written down from kombu (celery/kombu, `kombu/transport/native_delayed_delivery.py`, read for this
 * test; Debian's kombu 5.2.4 predates the module, so it cannot be run here):
 * - `calculate_routing_key`: `'.'.join(f'{countdown:028b}') + f'.{routing_key}'`, ValueError for a
 *   countdown < 1 or an empty key; kombu 5.6 first strips `DELAYED_DELIVERY_PREFIX_REGEX`;
 * - `level_name`: `celery_delayed_{level}`, ValueError below 0;
 * - `declare_native_delayed_delivery_exchanges_and_queues`: the loops over levels 27 → 0 and 27 → 1;
 * - `bind_queue_to_native_delayed_delivery_exchange`: `#.` + key unless the key starts with `#`,
 *   direct exchanges skipped;
 * and from Celery (`celery/app/base.py` `Celery.send_task`): the first exchange `celery_delayed_27`,
 * the countdown truncated by `int(countdown)`.
 */
import { describe, expect, it } from 'vitest';
import { Exchange, Queue, binding } from '@cq/kombu';
import { toWireTable } from './field-table.js';
import {
  CELERY_DELAYED_DELIVERY_EXCHANGE, MAX_LEVEL, calculateRoutingKey, delayedDeliveryBindings, delayedDeliveryTopology, delayedRoute, levelName, stripDelayPrefix,
} from './native-delayed-delivery.js';

const stars = (n: number) => '*.'.repeat(n);

describe('calculate_routing_key (kombu)', () => {
  it('writes the delay as 28 binary digits before the routing key', () => {
    // kombu t/unit/transport/test_native_delayed_delivery.py test_calculate_routing_key
    expect(calculateRoutingKey(1, 'destination')).toBe('0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.destination');
    // f'{5:028b}' = '0000000000000000000000000101'
    expect(calculateRoutingKey(5, 'celery')).toBe(`${'0.'.repeat(25)}1.0.1.celery`);
    // f'{(2**28 - 1):028b}': 28 ones, the longest delay
    expect(calculateRoutingKey(2 ** 28 - 1, 'a.b')).toBe(`${'1.'.repeat(28)}a.b`);
    expect(calculateRoutingKey(3600, 'tasks')).toBe(`${[...(3600).toString(2).padStart(28, '0')].join('.')}.tasks`);
  });

  it('refuses what kombu refuses (ValueError there, RangeError here)', () => {
    expect(() => calculateRoutingKey(0, 'foo')).toThrow(/positive/);
    expect(() => calculateRoutingKey(-1, 'foo')).toThrow(/positive/);
    expect(() => calculateRoutingKey(1, '')).toThrow(/non-empty/);
    // cq only: kombu would write 29 digits, which no binding of the 28 levels matches
    expect(() => calculateRoutingKey(2 ** 28, 'foo')).toThrow(/below 2\^28/);
  });

  it('drops a delay prefix already on the key (kombu 5.6, issue #2556), so retries do not pile prefixes up', () => {
    const once = calculateRoutingKey(7, 'celery');
    expect(stripDelayPrefix(once)).toBe('celery');
    expect(calculateRoutingKey(2, once)).toBe(calculateRoutingKey(2, 'celery'));
    expect(stripDelayPrefix('0.1.celery')).toBe('0.1.celery'); // fewer than 28 digits: not a prefix
  });

  it('routes through celery_delayed_27 with int(countdown), or not at all below 1 s and from 2^28 s', () => {
    expect(delayedRoute(2.9, 'celery')).toEqual({ exchange: 'celery_delayed_27', routingKey: calculateRoutingKey(2, 'celery') });
    expect(delayedRoute(0.5, 'celery')).toBeNull(); // Celery 5.5 raises ValueError here; cq sends it as usual
    expect(delayedRoute(2 ** 28, 'celery')).toBeNull();
    expect(delayedRoute(10, '')).toBeNull();
  });
});

describe('declare_native_delayed_delivery_exchanges_and_queues (kombu)', () => {
  it('names levels celery_delayed_<n> (level_name)', () => {
    expect(levelName(0)).toBe('celery_delayed_0');
    expect(levelName(MAX_LEVEL)).toBe('celery_delayed_27');
    expect(() => levelName(-1)).toThrow(RangeError);
  });

  it('declares 28 topic exchanges, 28 TTL queues dead-lettering down the levels, and the delivery exchange, in kombu\'s order', () => {
    const plan = delayedDeliveryTopology('quorum');
    // first loop, level 27: Exchange(celery_delayed_27, type="topic").declare(); Queue(..., queue_arguments).declare(); bind_to(level, "1.#")
    expect(plan.slice(0, 3)).toEqual([
      { kind: 'exchange', exchange: { name: 'celery_delayed_27', type: 'topic', durable: true, autoDelete: false, arguments: {} } },
      {
        kind: 'queue', queue: {
          name: 'celery_delayed_27', durable: true, exclusive: false, autoDelete: false,
          arguments: { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish', 'x-message-ttl': 2 ** 27 * 1000, 'x-dead-letter-exchange': 'celery_delayed_26', 'x-dead-letter-strategy': 'at-least-once' },
        },
      },
      { kind: 'binding', binding: { queue: 'celery_delayed_27', exchange: 'celery_delayed_27', routingKey: '1.#', arguments: {} } },
    ]);
    // first loop, level 0: TTL 1000 ms, dead-letters to celery_delayed_delivery, key "*." × 27 + "1.#"
    expect(plan.slice(81, 84)).toEqual([
      { kind: 'exchange', exchange: { name: 'celery_delayed_0', type: 'topic', durable: true, autoDelete: false, arguments: {} } },
      {
        kind: 'queue', queue: {
          name: 'celery_delayed_0', durable: true, exclusive: false, autoDelete: false,
          arguments: { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish', 'x-message-ttl': 1000, 'x-dead-letter-exchange': CELERY_DELAYED_DELIVERY_EXCHANGE, 'x-dead-letter-strategy': 'at-least-once' },
        },
      },
      { kind: 'binding', binding: { queue: 'celery_delayed_0', exchange: 'celery_delayed_0', routingKey: `${stars(27)}1.#`, arguments: {} } },
    ]);
    // second loop: next_level_exchange.bind_to(current_level, routing_key), routing_key "0.#" growing by "*." each level
    const exchangeBindings = plan.filter((d) => d.kind === 'exchangeBinding');
    expect(exchangeBindings).toHaveLength(28);
    expect(exchangeBindings[0]).toEqual({ kind: 'exchangeBinding', binding: { source: 'celery_delayed_27', destination: 'celery_delayed_26', routingKey: '0.#', arguments: {} } });
    expect(exchangeBindings[26]).toEqual({ kind: 'exchangeBinding', binding: { source: 'celery_delayed_1', destination: 'celery_delayed_0', routingKey: `${stars(26)}0.#`, arguments: {} } });
    // last: Exchange(celery_delayed_delivery, type="topic").declare(); bind_to(level_name(0), "*." × 27 + "0.#")
    expect(plan.slice(-2)).toEqual([
      { kind: 'exchange', exchange: { name: 'celery_delayed_delivery', type: 'topic', durable: true, autoDelete: false, arguments: {} } },
      { kind: 'exchangeBinding', binding: { source: 'celery_delayed_0', destination: 'celery_delayed_delivery', routingKey: `${stars(27)}0.#`, arguments: {} } },
    ]);
    expect(plan).toHaveLength(28 * 3 + 27 + 2);
    for (let level = 0; level <= MAX_LEVEL; level++) {
      const q = plan.find((d) => d.kind === 'queue' && d.queue.name === levelName(level));
      expect(q?.kind === 'queue' && q.queue.arguments['x-message-ttl']).toBe(2 ** level * 1000);
      expect(q?.kind === 'queue' && q.queue.arguments['x-dead-letter-exchange']).toBe(level > 0 ? levelName(level - 1) : 'celery_delayed_delivery');
    }
  });

  it('leaves x-dead-letter-strategy out for classic delay queues, and refuses other types', () => {
    const q = delayedDeliveryTopology('classic').find((d) => d.kind === 'queue');
    expect(q?.kind === 'queue' && q.queue.arguments).toEqual({ 'x-queue-type': 'classic', 'x-overflow': 'reject-publish', 'x-message-ttl': 2 ** 27 * 1000, 'x-dead-letter-exchange': 'celery_delayed_26' });
    expect(() => delayedDeliveryTopology('stream' as 'quorum')).toThrow(/classic or quorum/);
  });

  it('types the TTLs on the wire as py-amqp does: int32 up to 2^31 − 1 ms, int64 above (levels 22 to 27)', () => {
    const ttl = (level: number) => {
      const d = delayedDeliveryTopology('quorum').find((x) => x.kind === 'queue' && x.queue.name === levelName(level));
      return d?.kind === 'queue' ? toWireTable(d.queue.arguments)['x-message-ttl'] : undefined;
    };
    expect(ttl(21)).toEqual({ '!': 'int32', value: 2 ** 21 * 1000 });
    expect(ttl(22)).toEqual({ '!': 'int64', value: 2 ** 22 * 1000 });
    expect(ttl(27)).toEqual({ '!': 'int64', value: 2 ** 27 * 1000 });
  });
});

describe('bind_queue_to_native_delayed_delivery_exchange (kombu)', () => {
  it('binds a topic exchange from celery_delayed_delivery and the queue to it with #.<key>', () => {
    const q = new Queue('tasks', { exchange: new Exchange('tasks', { type: 'topic' }), routingKey: 'foo' });
    expect(delayedDeliveryBindings(q)).toEqual({
      declarations: [
        { kind: 'exchangeBinding', binding: { destination: 'tasks', source: 'celery_delayed_delivery', routingKey: '#.foo', arguments: {} } },
        { kind: 'binding', binding: { queue: 'tasks', exchange: 'tasks', routingKey: '#.foo', arguments: {} } },
      ],
      skipped: [],
    });
  });

  it('keeps a key that starts with # (test_bind_to_topic_exchange_with_wildcard_routing_key), and takes every binding', () => {
    const q = new Queue('multi', { bindings: [binding(new Exchange('a', { type: 'topic' }), '#.foo'), binding(new Exchange('b', { type: 'fanout' }), 'bar'), binding(new Exchange('c'), 'c')] });
    const { declarations, skipped } = delayedDeliveryBindings(q);
    expect(declarations.map((d) => d.kind === 'binding' || d.kind === 'exchangeBinding' ? d.binding.routingKey : '')).toEqual(['#.foo', '#.foo', '#.bar', '#.bar']);
    expect(skipped).toEqual(['c']);
  });

  it('skips a direct exchange (test_bind_to_direct_exchange) and the default exchange', () => {
    expect(delayedDeliveryBindings(new Queue('celery')).skipped).toEqual(['celery']);
    expect(delayedDeliveryBindings(new Queue('x', { exchange: new Exchange('') })).skipped).toEqual(['']);
  });
});
