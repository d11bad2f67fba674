/**
 * Quorum queues and native delayed delivery on the shared RabbitMQ node (127.0.0.1:5672), in a vhost
 * made for this file and deleted after it (the delay queues have fixed names: `celery_delayed_*`).
 *
 * What the broker holds after `declareDelayedDelivery` is compared with the layout written down here
 * from kombu's `kombu/transport/native_delayed_delivery.py`
 * (`declare_native_delayed_delivery_exchanges_and_queues`, `bind_queue_to_native_delayed_delivery_exchange`),
 * not with cq's own plan, and a delayed message is followed through the levels.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exchange, Queue, parseUrl, type Delivery } from '@cq/kombu';
import { RabbitVhost } from '@cq/tooling/testing';
import { transport, type AmqpChannel, type AmqpTransport } from '../src/index.js';

let vhost: RabbitVhost;
const transports: AmqpTransport[] = [];

beforeAll(async () => {
  vhost = await RabbitVhost.create('cq-amqp-quorum');
}, 30_000);

afterAll(async () => {
  for (const t of transports) await t.close();
  await vhost?.delete();
}, 30_000);

async function channel(options: Record<string, unknown> = {}): Promise<AmqpChannel> {
  const t = transport.create(parseUrl(vhost.url), options) as AmqpTransport;
  transports.push(t);
  await t.connect();
  return await t.createChannel() as AmqpChannel;
}

const stars = (n: number) => '*.'.repeat(n);
const QUORUM = { 'x-queue-type': 'quorum' };

/** Takes the next message of `queue`, polling every 20 ms for up to `timeoutMs`. */
async function take(ch: AmqpChannel, queue: string, timeoutMs: number): Promise<Delivery | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await ch.get(queue);
    if (d || Date.now() > end) return d;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('native delayed delivery topology (kombu declare_native_delayed_delivery_exchanges_and_queues)', () => {
  it('declares, twice without error, exactly the exchanges, quorum queues and bindings kombu declares', async () => {
    const ch = await channel();
    await ch.declareDelayedDelivery('quorum');
    await ch.declareDelayedDelivery('quorum'); // what every worker does at start: must be idempotent

    const queues = await vhost.list('queues', ['name', 'type', 'durable', 'auto_delete', 'arguments']);
    const expectedQueues = Array.from({ length: 28 }, (_, level) => ({
      name: `celery_delayed_${level}`, type: 'quorum', durable: true, auto_delete: false,
      // kombu: queue_arguments = {x-queue-type, x-overflow, x-message-ttl: pow(2, level) * 1000,
      // x-dead-letter-exchange: next level or celery_delayed_delivery} + x-dead-letter-strategy for quorum.
      // The wire types are py-amqp's: int32 ('signedint') when it fits, else 64-bit ('long').
      arguments: expect.arrayContaining([
        ['x-queue-type', 'longstr', 'quorum'],
        ['x-overflow', 'longstr', 'reject-publish'],
        ['x-message-ttl', 2 ** level * 1000 <= 0x7fffffff ? 'signedint' : 'long', 2 ** level * 1000],
        ['x-dead-letter-exchange', 'longstr', level > 0 ? `celery_delayed_${level - 1}` : 'celery_delayed_delivery'],
        ['x-dead-letter-strategy', 'longstr', 'at-least-once'],
      ]) as unknown,
    }));
    expect(queues.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual(expectedQueues.sort((a, b) => a.name.localeCompare(b.name)));
    for (const q of queues) expect(q.arguments).toHaveLength(5);

    const exchanges = (await vhost.list('exchanges', ['name', 'type', 'durable', 'auto_delete'])).filter((e) => String(e.name).startsWith('celery_'));
    expect(exchanges.map((e) => `${String(e.name)} ${String(e.type)} ${String(e.durable)} ${String(e.auto_delete)}`).sort()).toEqual(
      [...Array.from({ length: 28 }, (_, l) => `celery_delayed_${l}`), 'celery_delayed_delivery'].map((n) => `${n} topic true false`).sort(),
    );

    const bindings = (await vhost.list('bindings', ['source_name', 'destination_name', 'destination_kind', 'routing_key']))
      .filter((b) => b.source_name !== '') // the default exchange's implicit bindings
      .map((b) => `${String(b.source_name)} -> ${String(b.destination_kind)} ${String(b.destination_name)} [${String(b.routing_key)}]`);
    const expected = [
      // Queue L bound to exchange L with "*." × (27 − L) + "1.#"
      ...Array.from({ length: 28 }, (_, l) => `celery_delayed_${l} -> queue celery_delayed_${l} [${stars(27 - l)}1.#]`),
      // exchange L − 1 bound to exchange L with "*." × (27 − L) + "0.#"
      ...Array.from({ length: 27 }, (_, i) => { const l = i + 1; return `celery_delayed_${l} -> exchange celery_delayed_${l - 1} [${stars(27 - l)}0.#]`; }),
      // the delivery exchange bound to level 0 with "*." × 27 + "0.#"
      `celery_delayed_0 -> exchange celery_delayed_delivery [${stars(27)}0.#]`,
    ];
    expect(bindings.sort()).toEqual(expected.sort());
  }, 60_000);

  it('holds a message for its delay (3 s = binary 11: levels 1 and 0) and delivers it to the bound topic queue with kombu\'s routing key', async () => {
    const ch = await channel();
    await ch.declareDelayedDelivery('quorum');
    const name = `cq.nd.${randomUUID().slice(0, 8)}`;
    const queue = new Queue(name, { exchange: new Exchange(name, { type: 'topic' }), routingKey: name, queueArguments: QUORUM });
    await queue.declare(ch);
    expect(await ch.bindQueueToDelayedDelivery(queue)).toEqual({ skipped: [] });

    const route = ch.delayedRoute(3, name)!;
    expect(route).toEqual({ exchange: 'celery_delayed_27', routingKey: `${'0.'.repeat(26)}1.1.${name}` });
    const sent = Date.now();
    await ch.publish({ body: Buffer.from('{"n":1}'), contentType: 'application/json', contentEncoding: 'utf-8', headers: { id: 'x1' }, properties: { delivery_mode: 2 } }, route.exchange, route.routingKey);
    // Level 1 (2 s) holds it first: it is neither in level 0 nor in its queue yet.
    const level1 = await ch.declareQueue({ name: 'celery_delayed_1', durable: true, exclusive: false, autoDelete: false, arguments: (await queueArguments('celery_delayed_1')) });
    expect(level1.messageCount).toBe(1);
    expect(await ch.get(name)).toBeNull();

    const got = await take(ch, name, 8000);
    const waited = Date.now() - sent;
    expect(got).not.toBeNull();
    await ch.ack(got!.deliveryTag);
    expect(waited).toBeGreaterThanOrEqual(2950);
    expect(waited).toBeLessThan(6000);
    expect(got!.body.toString()).toBe('{"n":1}');
    expect(got!.headers.id).toBe('x1');
    // It reaches its queue dead-lettered to celery_delayed_delivery (the exchange RabbitMQ reports), with the long key.
    expect(got!.deliveryInfo).toMatchObject({ exchange: 'celery_delayed_delivery', routing_key: route.routingKey, queue: name });
    // RabbitMQ's dead-letter trail: it expired from celery_delayed_1, then from celery_delayed_0.
    const deaths = got!.headers['x-death'] as Array<Record<string, unknown>>;
    expect(deaths.map((d) => `${String(d.queue)}:${String(d.reason)}`).sort()).toEqual(['celery_delayed_0:expired', 'celery_delayed_1:expired']);
  }, 30_000);

  it('skips a queue behind a direct exchange: its delayed messages could not be routed back', async () => {
    const ch = await channel();
    const name = `cq.direct.${randomUUID().slice(0, 8)}`;
    const queue = new Queue(name, { queueArguments: QUORUM });
    await queue.declare(ch);
    expect(await ch.bindQueueToDelayedDelivery(queue)).toEqual({ skipped: [name] });
  }, 30_000);
});

/** The arguments the broker holds for `queue`, as declared (to look at it without changing it). */
async function queueArguments(queue: string): Promise<Record<string, unknown>> {
  const row = (await vhost.list('queues', ['name', 'arguments'])).find((q) => q.name === queue);
  return Object.fromEntries((row?.arguments as Array<[string, string, unknown]>).map(([k, , v]) => [k, v]));
}

describe('quorum queues', () => {
  it('take a consumer under a per-consumer prefetch limit (global=false), which RabbitMQ reports per consumer', async () => {
    const ch = await channel();
    const name = `cq.qq.${randomUUID().slice(0, 8)}`;
    await ch.declareQueue({ name, durable: true, exclusive: false, autoDelete: false, arguments: QUORUM });
    await ch.qos(7, false);
    await ch.consume(name, () => undefined);
    const consumers = (await vhost.list('consumers', ['queue_name', 'prefetch_count'])).filter((c) => c.queue_name === name);
    expect(consumers).toEqual([{ queue_name: name, prefetch_count: 7 }]);
  }, 30_000);

  it('refuse a consumer on a channel with a global prefetch limit (why the worker sets it per consumer)', async () => {
    const ch = await channel({ max_retries: 0 });
    const name = `cq.qqg.${randomUUID().slice(0, 8)}`;
    await ch.declareQueue({ name, durable: true, exclusive: false, autoDelete: false, arguments: QUORUM });
    await ch.qos(7); // global, as for classic queues
    // 540 NOT_IMPLEMENTED "queue ... does not support global qos" closes the whole connection
    await expect(ch.consume(name, () => undefined)).rejects.toThrow(/global qos|NOT_IMPLEMENTED|Channel ended/i);
  }, 30_000);

  it('count redeliveries in x-delivery-count and drop a message past x-delivery-limit (poison messages)', async () => {
    const ch = await channel();
    const name = `cq.poison.${randomUUID().slice(0, 8)}`;
    await ch.declareQueue({ name, durable: true, exclusive: false, autoDelete: false, arguments: { ...QUORUM, 'x-delivery-limit': 2 } });
    await ch.publish({ body: Buffer.from('{}'), contentType: 'application/json', contentEncoding: 'utf-8', headers: {}, properties: {} }, '', name);
    const counts: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await take(ch, name, 2000);
      expect(d).not.toBeNull();
      counts.push(d!.headers['x-delivery-count']);
      await ch.reject(d!.deliveryTag, true); // a worker lost mid-task with acks_late + reject_on_worker_lost
    }
    expect(counts.slice(1)).toEqual([1, 2]);
    expect([undefined, 0]).toContain(counts[0]); // RabbitMQ 3.10 sends 0 on the first delivery
    expect(await take(ch, name, 500)).toBeNull(); // the third return went past the limit of 2
  }, 30_000);
});
