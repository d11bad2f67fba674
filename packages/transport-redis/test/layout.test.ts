/**
 * Reads the raw Redis keys the transport writes and checks them against kombu's Redis layout
 * (celery-protocol.md §4): envelope, priority buckets, binding sets, unacked bookkeeping, prefix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Exchange, Queue, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { RedisTransport } from '../src/index.js';
import { connectionsClosedAfterEach, isolatedUnacked, rawClient, uniq } from './helpers.js';

const SEP = '\x06\x16';
const redis = rawClient();
const connect = connectionsClosedAfterEach();
const raw = (text: string, priority?: number): RawMessage => ({
  body: Buffer.from(text), contentType: 'application/json', contentEncoding: 'utf-8',
  headers: { task: 'proj.add', id: 'id-1' }, properties: priority === undefined ? { correlation_id: 'id-1' } : { correlation_id: 'id-1', priority },
});

afterAll(async () => {
  await redis.quit();
});

describe('kombu Redis layout', () => {
  it('LPUSHes kombu envelopes with a base64 body into the priority bucket of each priority', async () => {
    const channel = await (await connect()).channel();
    const q = uniq('layout');
    for (const p of [0, 5, 7, 9]) await channel.publish(raw(`{"p": ${p}}`, p), '', q);
    await channel.publish(raw('"none"'), '', q);
    expect(await redis.lrange(q, 0, -1)).toHaveLength(2);
    expect(await redis.llen(`${q}${SEP}3`)).toBe(1);
    expect(await redis.llen(`${q}${SEP}6`)).toBe(1);
    expect(await redis.llen(`${q}${SEP}9`)).toBe(1);

    const [last, first] = await redis.lrange(q, 0, -1); // LPUSH: newest at the left
    const env = JSON.parse(first!) as Record<string, any>;
    expect(Object.keys(env).sort()).toEqual(['body', 'content-encoding', 'content-type', 'headers', 'properties']);
    expect(Buffer.from(env.body, 'base64').toString()).toBe('{"p": 0}');
    expect(env['content-type']).toBe('application/json');
    expect(env['content-encoding']).toBe('utf-8');
    expect(env.headers).toEqual({ task: 'proj.add', id: 'id-1' });
    expect(env.properties).toMatchObject({ correlation_id: 'id-1', priority: 0, body_encoding: 'base64', delivery_info: { exchange: '', routing_key: q } });
    expect(env.properties.delivery_tag).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(JSON.parse(last!).properties.priority).toBe(0);
    expect(JSON.parse((await redis.lindex(`${q}${SEP}6`, 0))!).properties.priority).toBe(7);

    // Lower step first: 0 (twice, FIFO), then 5, 7, 9.
    const order: string[] = [];
    for (let d = await channel.get(q, { noAck: true }); d; d = await channel.get(q, { noAck: true })) order.push(d.body.toString());
    expect(order).toEqual(['{"p": 0}', '"none"', '{"p": 5}', '{"p": 7}', '{"p": 9}']);
  });

  it('writes kombu binding members, with a Python regex pattern for topic bindings', async () => {
    const channel = await (await connect()).channel();
    const direct = new Exchange(uniq('ex.direct'), { type: 'direct' });
    const topic = new Exchange(uniq('ex.topic'), { type: 'topic' });
    const q = new Queue(uniq('bound'), { exchange: direct, routingKey: 'rk.a' });
    await q.declare(channel);
    const t = new Queue(uniq('tbound'), { exchange: topic, routingKey: 'stock.*.eur' });
    await t.declare(channel);
    expect(await redis.smembers(`_kombu.binding.${direct.name}`)).toEqual([`rk.a${SEP}${SEP}${q.name}`]);
    expect(await redis.smembers(`_kombu.binding.${topic.name}`)).toEqual([`stock.*.eur${SEP}^stock\\..*?[^\\.]\\.eur$${SEP}${t.name}`]);
    await channel.deleteQueue(q.name);
    expect(await redis.smembers(`_kombu.binding.${direct.name}`)).toEqual([]);
  });

  it('records a delivery in unacked / unacked_index exactly as kombu and removes it on ack', async () => {
    const channel = await (await connect()).channel();
    const q = uniq('unacked');
    await channel.publish(raw('"x"', 5), '', q);
    const stored = JSON.parse((await redis.lindex(`${q}${SEP}3`, 0))!) as { properties: { delivery_tag: string } };
    const tag = stored.properties.delivery_tag;
    const before = Date.now() / 1000;
    const d = await channel.get(q);
    expect(d).not.toBeNull();
    const entry = JSON.parse((await redis.hget('unacked', tag))!) as unknown[];
    expect(entry).toEqual([stored, '', q]);
    const score = Number(await redis.zscore('unacked_index', tag));
    expect(score).toBeGreaterThan(before - 5);
    expect(score).toBeLessThan(Date.now() / 1000 + 5);
    await channel.ack(d!.deliveryTag);
    expect(await redis.hexists('unacked', tag)).toBe(0);
    expect(await redis.zscore('unacked_index', tag)).toBeNull();
  });

  it('prefixes every key with global_keyprefix', async () => {
    const prefix = `${uniq('pfx')}:`;
    const channel = await (await connect({ global_keyprefix: prefix })).channel();
    const ex = new Exchange(uniq('ex'), { type: 'direct' });
    const q = new Queue(uniq('pq'), { exchange: ex, routingKey: 'k' });
    await q.declare(channel);
    await channel.publish(raw('"p"', 9), ex.name, 'k');
    expect(await redis.llen(`${prefix}${q.name}${SEP}9`)).toBe(1);
    expect(await redis.scard(`${prefix}_kombu.binding.${ex.name}`)).toBe(1);
    const d = await channel.get(q.name);
    expect(await redis.hlen(`${prefix}unacked`)).toBe(1);
    await channel.ack(d!.deliveryTag);
    expect(await redis.exists(`${prefix}unacked`, `${prefix}unacked_index`)).toBe(0);
    await redis.del(`${prefix}_kombu.binding.${ex.name}`);
  });

  it('redelivers a message unacked for longer than visibility_timeout, at the front, marked redelivered', async () => {
    const keys = isolatedUnacked(uniq('vt'));
    const holder = await (await connect({ ...keys, visibility_timeout: 0.3, unacked_restore_interval: 3600 })).channel();
    const q = uniq('vt');
    await holder.publish(raw('"first"'), '', q);
    await holder.publish(raw('"second"'), '', q);
    const held = await holder.get(q);
    expect(held!.body.toString()).toBe('"first"');
    const sweeper = await connect({ ...keys, visibility_timeout: 0.3, unacked_restore_interval: 0.1 });
    await waitUntil(async () => (await redis.hlen(keys.unacked_key!)) === 0, 5000);
    const channel = await sweeper.channel();
    const again = await channel.get(q);
    expect(again!.body.toString()).toBe('"first"');
    expect(again!.redelivered).toBe(true);
    expect(again!.headers['redelivered']).toBe(true);
    await channel.ack(again!.deliveryTag);
    // The original holder's late ack is harmless, and closing it restores nothing twice.
    await holder.ack(held!.deliveryTag);
    const rest = await channel.get(q, { noAck: true });
    expect(rest!.body.toString()).toBe('"second"');
    expect(await channel.get(q)).toBeNull();
  });

  it('restores nothing before the visibility timeout and reports it from restoreVisible()', async () => {
    const keys = isolatedUnacked(uniq('vt2'));
    const conn = await connect({ ...keys, visibility_timeout: 60 });
    const channel = await conn.channel();
    const q = uniq('vt2');
    await channel.publish(raw('"a"'), '', q);
    const d = await channel.get(q);
    expect(await (conn.transport as RedisTransport).restoreVisible()).toBe(0);
    expect(await redis.llen(q)).toBe(0);
    await channel.ack(d!.deliveryTag);
  });

  it('writes no unacked bookkeeping with ack_emulation: false', async () => {
    const keys = isolatedUnacked(uniq('noack'));
    const channel = await (await connect({ ...keys, ack_emulation: false })).channel();
    const q = uniq('noack');
    await channel.publish(raw('"z"'), '', q);
    const d = await channel.get(q);
    expect(d!.body.toString()).toBe('"z"');
    expect(await redis.exists(keys.unacked_key!, keys.unacked_index_key!)).toBe(0);
    await channel.reject(d!.deliveryTag, true);
    expect((await channel.get(q, { noAck: true }))!.redelivered).toBe(true);
  });
});
