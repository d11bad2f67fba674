/**
 * What the transport stores on a MongoDB server, read back with the driver: kombu's documents and
 * indexes, the lease a take leaves and what ack, reject and a sweep make of it, priorities, fanout
 * through the capped broadcast collection across connections, topic bindings shared through
 * `messages.routing`, and the `ttl` and `calc_queue_size` options.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Exchange, Queue, binding, type Channel, type Connection, type RawMessage } from '@cq/kombu';
import type { Document } from 'mongodb';
import type { MongoTransport } from '../../src/index.js';
import { connection, testDatabase, withDb } from './helpers.js';

const url = testDatabase('cq_tp_layout');
const open: Connection[] = [];
afterEach(async () => {
  for (const conn of open.splice(0)) await conn.close();
});

async function channel(options: Record<string, unknown> = {}): Promise<{ conn: Connection; channel: Channel; transport: MongoTransport }> {
  const conn = await connection(url, { polling_interval: 0.01, ...options }).connect();
  open.push(conn);
  return { conn, channel: await conn.channel(), transport: conn.transport as unknown as MongoTransport };
}

const uniq = (prefix: string) => `${prefix}.${randomUUID().slice(0, 8)}`;
const raw = (text: string, priority?: number): RawMessage => ({
  body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: { id: text }, properties: priority === undefined ? {} : { priority },
});
const docs = (collection: string, filter: Document = {}) => withDb(url, (db) => db.collection(collection).find(filter).toArray());

describe('documents and indexes', () => {
  it("stores a message as kombu's {payload, queue, priority} and creates kombu's indexes and capped broadcast collection", async () => {
    const { channel: ch } = await channel();
    const q = uniq('shape');
    await new Queue(q).declare(ch);
    await ch.publish(raw('hello', 7), '', q);
    const [doc, ...more] = await docs('messages', { queue: q });
    expect(more).toHaveLength(0);
    expect(Object.keys(doc!).sort()).toEqual(['_id', 'payload', 'priority', 'queue']);
    expect(doc!.priority).toBe(2);
    const envelope = JSON.parse(doc!.payload as string);
    expect(envelope).toMatchObject({
      body: Buffer.from('hello').toString('base64'), 'content-type': 'text/plain', 'content-encoding': 'utf-8', headers: { id: 'hello' },
      properties: { priority: 7, body_encoding: 'base64', delivery_info: { exchange: '', routing_key: q } },
    });
    const indexes = await withDb(url, (db) => db.collection('messages').indexes());
    const byName = new Map(indexes.map((i) => [i.name, i]));
    expect(byName.get('queue_1_priority_1__id_1')?.key).toEqual({ queue: 1, priority: 1, _id: 1 });
    expect(byName.get('lease.owner_1')?.sparse).toBe(true);
    expect(byName.get('lease.at_1')?.sparse).toBe(true);
    const broadcast = await withDb(url, (db) => db.collection('messages.broadcast').options());
    expect(broadcast).toMatchObject({ capped: true, size: 100000 });
    expect((await withDb(url, (db) => db.collection('messages.routing').indexes())).map((i) => i.name)).toContain('queue_1_exchange_1');
  });

  it('takes the highest priority first, oldest first within a priority', async () => {
    const { channel: ch } = await channel();
    const q = uniq('prio');
    await new Queue(q).declare(ch);
    for (const [text, p] of [['low', 1], ['top-a', 9], ['mid', 5], ['top-b', 9], ['none', undefined], ['over', 200]] as const) await ch.publish(raw(text, p), '', q);
    const order: string[] = [];
    for (let d = await ch.get(q, { noAck: true }); d; d = await ch.get(q, { noAck: true })) order.push(d.body.toString());
    expect(order).toEqual(['top-a', 'top-b', 'over', 'mid', 'low', 'none']);
  });
});

describe('leases', () => {
  it('a take moves queue into the lease; ack deletes; reject puts it back marked redelivered', async () => {
    const { channel: ch, transport } = await channel();
    const q = uniq('lease');
    await new Queue(q).declare(ch);
    await ch.publish(raw('m'), '', q);
    const first = await ch.get(q);
    const [leased] = await docs('messages', { 'lease.queue': q });
    expect(leased).not.toHaveProperty('queue');
    expect(leased!.lease).toMatchObject({ queue: q, owner: transport.owner, token: expect.any(String), at: expect.any(Date) });
    expect((await ch.declareQueue(new Queue(q).toDeclaration())).messageCount).toBe(0);
    await ch.reject(first!.deliveryTag, true);
    const [back] = await docs('messages', { queue: q });
    expect(back).not.toHaveProperty('lease');
    expect(back!.redelivered).toBe(true);
    expect(JSON.parse(back!.payload as string).properties.delivery_info.redelivered).toBe(true);
    const second = await ch.get(q);
    expect(second!.redelivered).toBe(true);
    await ch.ack(second!.deliveryTag);
    expect(await docs('messages', { $or: [{ queue: q }, { 'lease.queue': q }] })).toEqual([]);
  });

  it("a live consumer's lease outlives visibility_timeout; an abandoned one is put back by another process's sweep", async () => {
    const q = uniq('sweep');
    const live = await channel({ visibility_timeout: 1 });
    const sweeper = await channel({ visibility_timeout: 1 }); // sweeps every third of a second
    await new Queue(q).declare(sweeper.channel);
    await sweeper.channel.publish(raw('held'), '', q);
    const held = await live.channel.get(q);
    expect(held!.body.toString()).toBe('held');
    await new Promise((r) => setTimeout(r, 2500)); // past visibility_timeout, several sweeps later: renewed, so still held
    const [stillHeld] = await docs('messages', { 'lease.queue': q });
    expect(stillHeld!.lease.owner).toBe(live.transport.owner);
    expect(await sweeper.channel.get(q)).toBeNull();
    // A consumer that died: its lease was last renewed a minute ago.
    await withDb(url, (db) => db.collection('messages').insertOne({
      payload: JSON.stringify({ body: Buffer.from('orphan').toString('base64'), 'content-encoding': 'utf-8', 'content-type': 'text/plain', headers: {},
        properties: { delivery_info: { exchange: '', routing_key: q }, delivery_tag: 'x', body_encoding: 'base64', priority: 0 } }),
      priority: 9, lease: { queue: q, owner: 'dead', token: 't', at: new Date(Date.now() - 60_000) },
    }));
    let orphan = await sweeper.channel.get(q);
    for (let i = 0; !orphan && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      orphan = await sweeper.channel.get(q);
    }
    expect(orphan?.body.toString()).toBe('orphan');
    expect(orphan!.redelivered).toBe(true);
    expect(await sweeper.transport.maintain()).toBe(0); // nothing else expired
    await live.channel.ack(held!.deliveryTag);
    await sweeper.channel.ack(orphan!.deliveryTag);
    expect(await docs('messages', { $or: [{ queue: q }, { 'lease.queue': q }] })).toEqual([]);
  });
});

describe('exchanges across connections', () => {
  it('delivers a fanout publish to every bound queue of every connection, through the capped broadcast collection', async () => {
    const ex = new Exchange(uniq('bcast'), { type: 'fanout', durable: false });
    const a = await channel();
    const b = await channel();
    const publisher = await channel();
    const qa = new Queue(uniq('fa'), { exchange: ex });
    const qb = new Queue(uniq('fb'), { exchange: ex });
    await qa.declare(a.channel);
    await qb.declare(b.channel);
    await ex.declare(publisher.channel);
    await publisher.channel.publish(raw('to-all'), ex.name, '');
    const [doc] = await docs('messages.broadcast', { queue: ex.name });
    expect(Object.keys(doc!).sort()).toEqual(['_id', 'payload', 'queue']);
    expect((await a.channel.get(qa.name, { noAck: true }))?.body.toString()).toBe('to-all');
    expect((await b.channel.get(qb.name, { noAck: true }))?.body.toString()).toBe('to-all');
    expect(await a.channel.get(qa.name)).toBeNull();
    expect(await docs('messages', { queue: { $in: [qa.name, qb.name] } })).toEqual([]); // nothing stored per queue
  });

  it("routes another connection's publish through a topic binding stored with kombu's pattern", async () => {
    const topic = new Exchange(uniq('topic'), { type: 'topic' });
    const binder = await channel();
    const q = new Queue(uniq('tq'), { bindings: [binding(topic, 'stock.*.eur')] });
    await q.declare(binder.channel);
    const [route] = await docs('messages.routing', { exchange: topic.name });
    expect(route).toMatchObject({ exchange: topic.name, queue: q.name, routing_key: 'stock.*.eur', pattern: '^stock\\..*?[^\\.]\\.eur$' });
    const publisher = await channel();
    await topic.declare(publisher.channel); // exchange types are per process, as in kombu
    await publisher.channel.publish(raw('eur'), topic.name, 'stock.nyse.eur');
    await publisher.channel.publish(raw('usd'), topic.name, 'stock.nyse.usd');
    expect((await binder.channel.get(q.name, { noAck: true }))?.body.toString()).toBe('eur');
    expect(await binder.channel.get(q.name)).toBeNull();
    await binder.channel.deleteQueue(q.name);
    expect(await docs('messages.routing', { queue: q.name })).toEqual([]);
  });
});

describe('options', () => {
  it('ttl: TTL indexes, the queue document, expire_at on messages from x-message-ttl and expiration', async () => {
    const { channel: ch } = await channel({ ttl: true });
    const q = uniq('ttl');
    const before = Date.now();
    await ch.declareQueue({ name: q, durable: true, exclusive: false, autoDelete: false, arguments: { 'x-message-ttl': 60_000, 'x-expires': 120_000 } });
    await ch.publish(raw('a'), '', q);
    await ch.publish({ ...raw('b'), properties: { expiration: '5000' } }, '', q);
    const [a, b] = await docs('messages', { queue: q });
    expect((a!.expire_at as Date).getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect((b!.expire_at as Date).getTime()).toBeLessThan(before + 30_000);
    const [queueDoc] = await docs('messages.queues', { _id: q });
    expect(queueDoc).toMatchObject({ _id: q, options: { durable: true, exclusive: false, auto_delete: false, nowait: false, arguments: { 'x-expires': 120_000 } } });
    expect((queueDoc!.expire_at as Date).getTime()).toBeGreaterThanOrEqual(before + 120_000);
    for (const name of ['messages', 'messages.routing', 'messages.queues']) {
      const ttlIndex = (await withDb(url, (db) => db.collection(name).indexes())).find((i) => i.name === 'expire_at_1');
      expect(ttlIndex?.expireAfterSeconds).toBe(0);
    }
    await ch.deleteQueue(q);
    expect(await docs('messages.queues', { _id: q })).toEqual([]);
  });

  it('calc_queue_size: false answers 0, as kombu', async () => {
    const { channel: ch } = await channel({ calc_queue_size: false });
    const q = uniq('nocount');
    await new Queue(q).declare(ch);
    await ch.publish(raw('x'), '', q);
    expect((await ch.declareQueue(new Queue(q).toDeclaration())).messageCount).toBe(0);
    expect(await ch.purge(q)).toBe(1);
  });
});
