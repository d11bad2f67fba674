/**
 * The Redis keys of broker-side ETA (`src/eta.ts`): a parked message keeps its priority bucket, a
 * consume-side park drops the unacked record in the same step and is idempotent, a far-ETA message
 * pushed by a client that did not park it is parked as it is taken (never delivered), and two
 * transports promoting the same queue at once move each message exactly once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { formatPythonIsoDate, toEnvelope, type RawMessage } from '@cq/kombu';
import type { RedisChannel, RedisTransport } from '../src/index.js';
import { connectionsClosedAfterEach, isolatedUnacked, rawClient, uniq } from './helpers.js';

const SEP = '\x06\x16';
const redis = rawClient();
const connect = connectionsClosedAfterEach();
const task = (n: number, dueInMs: number, priority = 0): RawMessage => ({
  body: Buffer.from(String(n)), contentType: 'application/json', contentEncoding: 'utf-8',
  headers: { task: 't', id: randomUUID(), eta: formatPythonIsoDate(new Date(Date.now() + dueInMs)) }, properties: { priority },
});

afterAll(async () => {
  await redis.quit();
});

describe('broker-side ETA keys', () => {
  it('parks at publish, and moves a due message back to its priority bucket unchanged', async () => {
    const conn = await connect();
    const channel = await conn.channel();
    const q = uniq('eta.pri');
    await channel.publish(task(1, 3_600_000, 7), '', q);
    expect(await redis.zcard(`_cq.eta.index${SEP}${q}`)).toBe(1);
    const [tag, stored] = await redis.hgetall(`_cq.eta.messages${SEP}${q}`).then((h) => Object.entries(h)[0]!);
    expect(stored.startsWith('6{')).toBe(true);
    const transport = conn.transport as RedisTransport;
    expect(await transport.eta.promote(q, Date.now())).toBe(0); // not due yet
    expect(await transport.eta.promote(q, Date.now() + 3_700_000)).toBe(1);
    expect(await redis.lrange(`${q}${SEP}6`, 0, -1)).toEqual([stored.slice(1)]);
    expect(JSON.parse(stored.slice(1)).properties.delivery_tag).toBe(tag);
    expect(await redis.exists(`_cq.eta.index${SEP}${q}`, `_cq.eta.messages${SEP}${q}`)).toBe(0);
    await channel.deleteQueue(q);
  });

  it('parks a delivery and drops its unacked record in one step; a second park keeps one copy', async () => {
    const keys = isolatedUnacked(uniq('eta.unacked'));
    const channel = (await (await connect(keys)).channel()) as RedisChannel;
    const q = uniq('eta.park');
    await channel.publish(task(2, 10_000), '', q);
    const delivery = await channel.get(q);
    expect(await redis.hlen(keys.unacked_key!)).toBe(1);
    const tag = Object.keys(await redis.hgetall(keys.unacked_key!))[0]!;
    expect(await channel.parkDelivery(delivery!.deliveryTag, Date.now() + 3_600_000)).toBe(true);
    expect(await redis.hlen(keys.unacked_key!)).toBe(0);
    expect(await redis.zcard(keys.unacked_index_key!)).toBe(0);
    expect(await redis.zrange(`_cq.eta.index${SEP}${q}`, 0, -1)).toEqual([tag]);
    // The same message delivered again (say, restored after a crash) and parked again: still one.
    await redis.rpush(q, (await redis.hget(`_cq.eta.messages${SEP}${q}`, tag))!.slice(1));
    const again = await channel.get(q);
    await channel.parkDelivery(again!.deliveryTag, Date.now() + 3_600_000);
    expect(await redis.hlen(`_cq.eta.messages${SEP}${q}`)).toBe(1);
    expect(await channel.purge(q)).toBe(1);
    await channel.deleteQueue(q);
  });

  it('parks a far-ETA message as it is taken (a client that did not park it, as Python): never delivered, no unacked record left', async () => {
    const keys = isolatedUnacked(uniq('eta.take'));
    const channel = (await (await connect(keys)).channel()) as RedisChannel;
    const q = uniq('eta.take');
    const far = task(3, 3_600_000);
    const near = task(4, 5_000);
    // As kombu writes them: straight onto the list, no parking at publish.
    const stored = (m: RawMessage): string => JSON.stringify(toEnvelope(m, '', q));
    const farText = stored(far);
    await redis.lpush(q, farText, stored(near));
    const delivery = await channel.get(q); // the far one first (RPOP order): parked, so the near one comes
    expect(delivery?.headers['id']).toBe(near.headers['id']);
    expect(await channel.get(q)).toBeNull();
    const tag = (JSON.parse(farText) as { properties: { delivery_tag: string } }).properties.delivery_tag;
    expect(await redis.zrange(`_cq.eta.index${SEP}${q}`, 0, -1)).toEqual([tag]);
    expect(await redis.hget(`_cq.eta.messages${SEP}${q}`, tag)).toBe(`0${farText}`); // as stored, not re-serialized
    // The take script recorded both as unacked; parking dropped the far one's record, the near one's waits for its ack.
    expect(await redis.hexists(keys.unacked_key!, tag)).toBe(0);
    expect(await redis.hlen(keys.unacked_key!)).toBe(1);
    await channel.ack(delivery!.deliveryTag);
    expect(await redis.hlen(keys.unacked_key!)).toBe(0);
    expect(await channel.purge(q)).toBe(1);
    await channel.deleteQueue(q);
  });

  it('moves each due message once when two transports promote the same queue at once', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const channel = await a.channel();
    const q = uniq('eta.race');
    for (let i = 0; i < 1200; i++) await channel.publish(task(i, 3_600_000), '', q);
    const later = Date.now() + 3_700_000;
    const moved = await Promise.all([a, b].map((c) => (c.transport as RedisTransport).eta.promote(q, later)));
    expect(moved[0]! + moved[1]!).toBe(1200);
    const bodies = (await redis.lrange(q, 0, -1)).map((e) => Buffer.from(JSON.parse(e).body, 'base64').toString());
    expect(new Set(bodies).size).toBe(1200);
    expect(bodies).toHaveLength(1200);
    await channel.deleteQueue(q);
  });
});
