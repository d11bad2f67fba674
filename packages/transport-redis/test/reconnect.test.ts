import { afterAll, describe, expect, it } from 'vitest';
import { Connection, Queue, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { transport, type RedisTransport } from '../src/index.js';
import { TEST_URL, rawClient, uniq } from './helpers.js';

const redis = rawClient();
afterAll(async () => {
  await redis.quit();
});
const raw = (text: string): RawMessage => ({ body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: {}, properties: {} });

describe('reconnect', () => {
  it('keeps consuming after the server drops the command connection', async () => {
    const consumerConn = await new Connection(TEST_URL, { transport }).connect();
    const producerConn = await new Connection(TEST_URL, { transport }).connect();
    try {
      const channel = await consumerConn.channel();
      const q = new Queue(uniq('reconnect'));
      await q.declare(channel);
      const got: string[] = [];
      await channel.consume(q.name, (d) => { got.push(d.body.toString()); void channel.ack(d.deliveryTag); });
      const producer = await producerConn.channel();
      await producer.publish(raw('before'), '', q.name);
      await waitUntil(() => got.length === 1, 5000);
      const t = consumerConn.transport as RedisTransport;
      const id = await t.run('test', (c) => c.client('ID'));
      expect(await redis.client('KILL', 'ID', String(id))).toBe(1);
      await producer.publish(raw('after'), '', q.name);
      await waitUntil(() => got.length === 2, 10_000);
      expect(got).toEqual(['before', 'after']);
      expect(await t.run('test', (c) => c.client('ID'))).not.toBe(id);
    } finally {
      await consumerConn.close();
      await producerConn.close();
    }
  });
});
