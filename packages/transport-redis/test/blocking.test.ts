/**
 * Consuming waits in BRPOP when the queues are empty: a message pushed by another process is
 * delivered without polling, with kombu's unacked bookkeeping; cancelling or closing ends the wait;
 * acks of one tick are settled together.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Delivery, RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { spawnTracked } from '@cq/tooling/testing';
import { connectionsClosedAfterEach, isolatedUnacked, rawClient, uniq } from './helpers.js';

const redis = rawClient();
const connect = connectionsClosedAfterEach();
const raw = (text: string): RawMessage => ({
  body: Buffer.from(text), contentType: 'application/json', contentEncoding: 'utf-8', headers: {}, properties: {},
});
// Polling this slowly would take 30 s to see a message: anything faster proves the blocking wait.
const SLOW_POLL = { polling_interval: 30 };

afterAll(async () => {
  await redis.quit();
});

describe('blocking fetch (BRPOP)', () => {
  it('delivers a message another connection pushes to an idle queue without waiting for a poll', async () => {
    const tag = uniq('blk');
    const consumer = await (await connect({ ...SLOW_POLL, ...isolatedUnacked(tag) })).channel();
    const publisher = await (await connect(SLOW_POLL)).channel();
    const q = uniq('blocking');
    await consumer.declareQueue({ name: q, durable: true, exclusive: false, autoDelete: false, arguments: {} });
    const got: Delivery[] = [];
    await consumer.consume(q, (d) => got.push(d));
    // let the consumer's first empty round end in BRPOP
    await waitUntil(async () => ((await redis.client('LIST')) as string).includes('cmd=brpop'), 5_000);
    const started = Date.now();
    await publisher.publish(raw('"hello"'), '', q);
    await waitUntil(() => got.length === 1, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(got[0]!.body.toString()).toBe('"hello"');
    // the message taken by BRPOP is recorded as unacked, as kombu's QoS.append does, until acked
    expect(await redis.hlen(`${tag}.unacked`)).toBe(1);
    expect(await redis.zcard(`${tag}.unacked_index`)).toBe(1);
    await consumer.ack(got[0]!.deliveryTag);
    expect(await redis.hlen(`${tag}.unacked`)).toBe(0);
    expect(await redis.zcard(`${tag}.unacked_index`)).toBe(0);
    await redis.del(q);
  });

  it('ends the wait when the consumer is cancelled or the channel closes, losing nothing', async () => {
    const conn = await connect({ ...SLOW_POLL, ...isolatedUnacked(uniq('blk')) });
    const channel = await conn.channel();
    const publisher = await (await connect(SLOW_POLL)).channel();
    const q = uniq('blocking');
    const got: Delivery[] = [];
    const first = await channel.consume(q, (d) => got.push(d));
    await new Promise((r) => setTimeout(r, 200)); // the empty round ends in BRPOP
    await channel.cancel(first);
    await new Promise((r) => setTimeout(r, 200));
    await publisher.publish(raw('"after cancel"'), '', q);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(0); // the cancelled consumer's wait ended without taking it
    expect(await redis.llen(q)).toBe(1);
    await channel.consume(q, (d) => got.push(d));
    await waitUntil(() => got.length === 1, 5_000);
    await channel.ack(got[0]!.deliveryTag);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await channel.close();
    // BRPOP's own timeout is a second or more: closing well within it proves the interrupt
    expect(Date.now() - started).toBeLessThan(900);
    await publisher.publish(raw('"after close"'), '', q);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(1);
    expect(await redis.llen(q)).toBe(1); // nobody took it after the close
    await redis.del(q);
  });

  it('settles acks of one tick with one ZREM and one HDEL', async () => {
    const tag = uniq('blk');
    const channel = await (await connect(isolatedUnacked(tag))).channel();
    const q = uniq('acks');
    for (let i = 0; i < 50; i++) await channel.publish(raw(String(i)), '', q);
    const got: Delivery[] = [];
    await channel.consume(q, (d) => got.push(d));
    await waitUntil(() => got.length === 50, 5_000);
    expect(await redis.hlen(`${tag}.unacked`)).toBe(50);
    // redis-cli prints MONITOR lines as `<time> [<db> <addr>] "<cmd>" "<arg>" ...`
    const monitor = spawnTracked('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const seen: string[] = [];
    let buffered = '';
    monitor.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
        if (args[1] === `${tag}.unacked` || args[1] === `${tag}.unacked_index`) seen.push(`${args[0]!.toLowerCase()}:${args.length - 2}`);
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all(got.map((d) => channel.ack(d.deliveryTag)));
    await waitUntil(() => seen.length >= 2, 5_000);
    monitor.kill();
    expect(seen).toEqual(['zrem:50', 'hdel:50']);
    expect(await redis.hlen(`${tag}.unacked`)).toBe(0);
  });
});
