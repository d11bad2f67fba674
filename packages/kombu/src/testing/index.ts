/**
 * `describeTransport(name, factory)`: the conformance suite every cq transport runs (kombu keeps one
 * behaviour suite instantiated per broker). The factory returns a new, unconnected {@link Connection}
 * to the broker under test; each test uses fresh queue and exchange names, and the queues and exchanges
 * a test declared are deleted after it, so a shared broker keeps nothing.
 *
 * ```ts
 * describeTransport('sqlite', () => new Connection(`sqlite:///${file}`));
 * ```
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../connection.js';
import { Consumer } from '../consumer.js';
import { Exchange, Queue, binding } from '../entity.js';
import { NotFoundError } from '../errors.js';
import type { Message } from '../message.js';
import { Producer } from '../producer.js';
import type { Channel, Delivery, RawMessage } from '../transport/types.js';
import { isEtaParkingChannel } from '../transport/eta-parking.js';
import { formatPythonIsoDate } from '../serialization/isodate.js';

export { describeDeduplicator, type DeduplicatorFixture } from './deduplication.js';

export interface DescribeTransportOptions {
  /** Longest wait for an expected delivery, in ms. Default 5000. */
  timeoutMs?: number;
}

export function describeTransport(name: string, factory: () => Connection | Promise<Connection>, options: DescribeTransportOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const open: Connection[] = [];
  const connect = async (): Promise<Connection> => {
    const conn = await (await factory()).connect();
    open.push(conn);
    return conn;
  };
  const uniq = (prefix: string) => `${prefix}.${randomUUID().slice(0, 8)}`;
  const raw = (text: string, extra: Partial<RawMessage> = {}): RawMessage => ({
    body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: {}, properties: {}, ...extra,
  });
  // Queues and exchanges declared by a test are deleted after it (a real broker would keep them).
  const created = new Set<string>();
  const createdExchanges = new Set<string>();
  const track = (queue: Queue) => {
    created.add(queue.name);
    for (const ex of [queue.exchange, ...queue.bindings.map((b) => b.exchange)]) if (ex.name !== '') createdExchanges.add(ex.name);
  };
  const declared = async (channel: Channel, queue: Queue) => { track(queue); await queue.declare(channel); return queue; };
  const collect = (channel: Channel, queue: string, count: number, opts: { ack?: boolean } = {}) =>
    new Promise<Delivery[]>((resolve, reject) => {
      const got: Delivery[] = [];
      const timer = setTimeout(() => reject(new Error(`timed out with ${got.length}/${count} messages from ${queue}`)), timeoutMs);
      void channel.consume(queue, (d) => {
        got.push(d);
        if (opts.ack ?? true) void channel.ack(d.deliveryTag);
        if (got.length === count) { clearTimeout(timer); resolve(got); }
      });
    });

  describe(`transport conformance: ${name}`, () => {
    afterEach(async () => {
      for (const conn of open.splice(0)) await conn.close();
      if (created.size === 0 && createdExchanges.size === 0) return;
      const conn = await (await factory()).connect();
      try {
        const channel = await conn.channel();
        for (const name of created) await channel.deleteQueue(name).catch(() => undefined);
        for (const name of createdExchanges) await channel.deleteExchange(name).catch(() => undefined);
      } finally {
        created.clear();
        createdExchanges.clear();
        await conn.close();
      }
    });

    it('round-trips body, headers and properties through the default exchange', async () => {
      const channel = await (await connect()).channel();
      const q = await declared(channel, new Queue(uniq('rt')));
      const headers = { task: 'proj.add', id: 'abc', retries: 0, timelimit: [null, 5], nested: { ü: 'ß' } };
      await channel.publish(raw('héllo', { headers, properties: { correlation_id: 'abc', reply_to: 'r1', delivery_mode: 2, priority: 0 } }), '', q.name);
      const d = await channel.get(q.name);
      expect(d).not.toBeNull();
      expect(d!.body.toString()).toBe('héllo');
      expect(d!.contentType).toBe('text/plain');
      expect(d!.contentEncoding).toBe('utf-8');
      expect(d!.headers).toMatchObject(headers);
      expect(d!.properties.correlation_id).toBe('abc');
      expect(d!.properties.reply_to).toBe('r1');
      expect(d!.deliveryInfo.routing_key).toBe(q.name);
      expect(d!.redelivered).toBe(false);
      await channel.ack(d!.deliveryTag);
      expect(await channel.get(q.name)).toBeNull();
    });

    it('keeps binary bodies intact', async () => {
      const channel = await (await connect()).channel();
      const q = await declared(channel, new Queue(uniq('bin')));
      const bytes = Buffer.from([0, 1, 2, 255, 254, 0x78, 0x9c]);
      await channel.publish({ ...raw(''), body: bytes, contentEncoding: 'binary' }, '', q.name);
      const d = await channel.get(q.name, { noAck: true });
      expect(d!.body.equals(bytes)).toBe(true);
    });

    it('routes through direct, topic and fanout exchanges', async () => {
      const channel = await (await connect()).channel();
      const direct = new Exchange(uniq('ex.direct'), { type: 'direct' });
      const topic = new Exchange(uniq('ex.topic'), { type: 'topic' });
      const fanout = new Exchange(uniq('ex.fanout'), { type: 'fanout', durable: false });
      const qa = await declared(channel, new Queue(uniq('qa'), { exchange: direct, routingKey: 'a' }));
      const qb = await declared(channel, new Queue(uniq('qb'), { exchange: direct, routingKey: 'b' }));
      const qt = await declared(channel, new Queue(uniq('qt'), { bindings: [binding(topic, 'stock.*.eur'), binding(fanout)] }));
      const qh = await declared(channel, new Queue(uniq('qh'), { bindings: [binding(topic, 'stock.#'), binding(fanout)] }));
      await channel.publish(raw('to-a'), direct.name, 'a');
      await channel.publish(raw('to-b'), direct.name, 'b');
      await channel.publish(raw('nowhere'), direct.name, 'zzz');
      await channel.publish(raw('eur'), topic.name, 'stock.nyse.eur');
      await channel.publish(raw('deep'), topic.name, 'stock.nyse.usd.x');
      await channel.publish(raw('all'), fanout.name, 'ignored');
      const drain = async (q: Queue) => {
        const out: string[] = [];
        for (let d = await channel.get(q.name, { noAck: true }); d; d = await channel.get(q.name, { noAck: true })) out.push(d.body.toString());
        return out;
      };
      expect(await drain(qa)).toEqual(['to-a']);
      expect(await drain(qb)).toEqual(['to-b']);
      expect(await drain(qt)).toEqual(['eur', 'all']);
      expect(await drain(qh)).toEqual(['eur', 'deep', 'all']);
    });

    it('deletes an exchange with its bindings; deleting it again, or an unknown one, resolves', async () => {
      const channel = await (await connect()).channel();
      const ex = new Exchange(uniq('ex.del'), { type: 'direct' });
      const q = await declared(channel, new Queue(uniq('exdel'), { exchange: ex, routingKey: 'k' }));
      await channel.publish(raw('before'), ex.name, 'k');
      expect((await channel.get(q.name, { noAck: true }))?.body.toString()).toBe('before');
      await channel.deleteExchange(ex.name);
      // AMQP refuses a publish to a missing exchange (404, maybe reported by the next operation on the
      // channel); virtual transports route it nowhere. Either way the queue stays empty.
      const outcome = await channel.publish(raw('after'), ex.name, 'k').then(() => null, (err: unknown) => err);
      if (outcome !== null) expect(outcome).toBeInstanceOf(NotFoundError);
      const left = await channel.get(q.name, { noAck: true }).catch((err: unknown) => {
        expect(err).toBeInstanceOf(NotFoundError);
        return channel.get(q.name, { noAck: true });
      });
      expect(left).toBeNull();
      await channel.deleteExchange(ex.name);
      await channel.deleteExchange(uniq('ex.never'));
      await channel.deleteExchange('');
      await channel.deleteExchange('amq.direct');
      expect(channel.isOpen).toBe(true);
    });

    it('delivers to consumers in FIFO order and reports the queue size on declare', async () => {
      const conn = await connect();
      const channel = await conn.channel();
      const q = await declared(channel, new Queue(uniq('fifo')));
      for (let i = 0; i < 20; i++) await channel.publish(raw(`m${i}`), '', q.name);
      expect((await channel.declareQueue(q.toDeclaration())).messageCount).toBe(20);
      const got = await collect(channel, q.name, 20);
      expect(got.map((d) => d.body.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    });

    it('holds back deliveries beyond the prefetch count until acks arrive', async () => {
      const channel = await (await connect()).channel();
      const q = await declared(channel, new Queue(uniq('qos')));
      for (let i = 0; i < 5; i++) await channel.publish(raw(`m${i}`), '', q.name);
      await channel.qos(2);
      const got: Delivery[] = [];
      await channel.consume(q.name, (d) => got.push(d));
      await waitUntil(() => got.length >= 2, timeoutMs);
      await new Promise((r) => setTimeout(r, 150));
      expect(got.length).toBe(2);
      await channel.ack(got[0]!.deliveryTag);
      await waitUntil(() => got.length >= 3, timeoutMs);
      await new Promise((r) => setTimeout(r, 150));
      expect(got.length).toBe(3);
      for (const d of got) await channel.ack(d.deliveryTag);
      await waitUntil(() => got.length === 5, timeoutMs);
    });

    it('requeues a rejected message as redelivered and drops it without requeue', async () => {
      const channel = await (await connect()).channel();
      const q = await declared(channel, new Queue(uniq('rej')));
      await channel.publish(raw('again'), '', q.name);
      const first = await channel.get(q.name);
      await channel.reject(first!.deliveryTag, true);
      const second = await channel.get(q.name);
      expect(second!.body.toString()).toBe('again');
      expect(second!.redelivered).toBe(true);
      await channel.reject(second!.deliveryTag, false);
      expect(await channel.get(q.name)).toBeNull();
    });

    it('restores unacked messages when a channel closes, for another connection to take', async () => {
      const a = await connect();
      const chA = await a.channel();
      const q = await declared(chA, new Queue(uniq('restore')));
      await chA.publish(raw('one'), '', q.name);
      await chA.publish(raw('two'), '', q.name);
      const taken = await chA.get(q.name);
      expect(taken!.body.toString()).toBe('one');
      const b = await connect();
      const chB = await b.channel();
      const other = await chB.get(q.name);
      expect(other!.body.toString()).toBe('two');
      await chB.ack(other!.deliveryTag);
      expect(await chB.get(q.name)).toBeNull();
      await a.close();
      const back = await chB.get(q.name);
      expect(back!.body.toString()).toBe('one');
      expect(back!.redelivered).toBe(true);
    });

    it('purges ready messages and deletes queues', async () => {
      const channel = await (await connect()).channel();
      const q = await declared(channel, new Queue(uniq('purge')));
      for (let i = 0; i < 3; i++) await channel.publish(raw(`m${i}`), '', q.name);
      expect(await channel.purge(q.name)).toBe(3);
      expect(await channel.get(q.name)).toBeNull();
      await channel.publish(raw('x'), '', q.name);
      expect(await channel.deleteQueue(q.name)).toBe(1);
    });

    it('publishes with Producer and consumes with Consumer: serializers, compression, accept', async () => {
      const conn = await connect();
      const channel = await conn.channel();
      const q = new Queue(uniq('pc'));
      track(q);
      const producer = new Producer(channel);
      const payloads = [
        { serializer: 'json', compression: null, value: { n: 1, s: 'ünï', list: [1, 2, 3] } },
        { serializer: 'json', compression: 'zlib', value: { n: 2, big: 'x'.repeat(1000) } },
        { serializer: 'msgpack', compression: 'bzip2', value: { n: 3, nested: { ok: true } } },
        { serializer: 'yaml', compression: null, value: { n: 4, text: 'a: b' } },
      ];
      for (const p of payloads) await producer.publish(p.value, { routingKey: q.name, serializer: p.serializer, compression: p.compression, declare: [q] });
      const received: unknown[] = [];
      const rejected: string[] = [];
      const consumer = new Consumer(channel, {
        queues: [q],
        accept: ['json', 'msgpack'],
        callbacks: [async (payload, message: Message) => { received.push(payload); await message.ack(); }],
        onDecodeError: async (message, error) => { rejected.push((error as Error).name); await message.reject(); },
      });
      await consumer.consume();
      await waitUntil(() => received.length + rejected.length === 4, timeoutMs);
      expect(received).toEqual(payloads.slice(0, 3).map((p) => p.value));
      expect(rejected).toEqual(['ContentDisallowedError']);
      await consumer.cancel();
    });

    it('parks far ETAs on the broker and gives them back unchanged when due (channels that can)', async () => {
      const channel = await (await connect()).channel();
      if (!isEtaParkingChannel(channel)) return; // Celery's way: the worker holds them
      expect(channel.etaHorizon).toBe(60);
      const q = await declared(channel, new Queue(uniq('eta')));
      const at = (ms: number) => ({ task: 't', id: randomUUID(), eta: formatPythonIsoDate(new Date(Date.now() + ms)) });
      // Published past the horizon: parked, neither ready nor counted, but purged.
      await channel.publish(raw('far', { headers: at(3600_000) }), '', q.name);
      expect(await channel.get(q.name)).toBeNull();
      expect((await channel.declareQueue(q.toDeclaration())).messageCount).toBe(0);
      expect(await channel.purge(q.name)).toBe(1);
      // Delivered (within the horizon), then handed back until shortly: settled now, back when due.
      const headers = at(30_000);
      await channel.publish(raw('soon', { headers, properties: { priority: 0 } }), '', q.name);
      const first = await channel.get(q.name);
      expect(first!.body.toString()).toBe('soon');
      const dueAt = Date.now() + 1500;
      expect(await channel.parkDelivery(first!.deliveryTag, dueAt)).toBe(true);
      expect(await channel.parkDelivery(first!.deliveryTag, dueAt)).toBe(false); // settled already
      expect(await channel.get(q.name)).toBeNull();
      const [back] = await collect(channel, q.name, 1);
      expect(Date.now()).toBeGreaterThanOrEqual(dueAt - 1000); // brokers may give it back up to 1 s early
      expect(back!.body.toString()).toBe('soon');
      expect(back!.headers).toEqual(headers);
      expect(back!.redelivered).toBe(false);
    });

    it('delivers each message to exactly one of several competing consumers', async () => {
      const producerConn = await connect();
      const pch = await producerConn.channel();
      const q = await declared(pch, new Queue(uniq('compete')));
      const seen = new Map<string, number>();
      const conns = await Promise.all([connect(), connect()]);
      for (const conn of conns) {
        const ch = await conn.channel();
        await ch.qos(10);
        await ch.consume(q.name, (d) => {
          const k = d.body.toString();
          seen.set(k, (seen.get(k) ?? 0) + 1);
          void ch.ack(d.deliveryTag);
        });
      }
      for (let i = 0; i < 200; i++) await pch.publish(raw(`m${i}`), '', q.name);
      await waitUntil(() => seen.size === 200, timeoutMs * 2);
      await new Promise((r) => setTimeout(r, 100));
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    });
  });
}

/** Polls `predicate` every 10 ms until true; throws after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
