/**
 * The virtual channel's lookahead: a channel consuming one queue that took a full batch takes the next
 * one while it dispatches, within the prefetch window. Every message is delivered once and in order;
 * what a lookahead took when the consumer goes away goes back to the queue (nothing lost); the window
 * is never exceeded. On the in-memory transport (the base's logic, no store of its own).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Delivery, RawMessage } from '../types.js';
import { MemoryTransport } from '../memory.js';

const message = (n: number): RawMessage => ({
  body: Buffer.from(JSON.stringify(n)), contentType: 'application/json', contentEncoding: 'utf-8', headers: {}, properties: {},
});

async function setUp(count: number, options: { fetch_batch_size: number }) {
  const transport = new MemoryTransport({ name: `lookahead-${randomUUID()}`, ...options });
  const channel = await transport.createChannel();
  await channel.declareQueue({ name: 'q', durable: true, exclusive: false, autoDelete: false, arguments: {} });
  for (let i = 0; i < count; i++) await channel.publish(message(i), '', 'q');
  return { transport, channel };
}

const until = async (ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(ok()).toBe(true);
};

describe('virtual channel lookahead', () => {
  it('delivers every message once and in order when batches are full', async () => {
    const { transport, channel } = await setUp(1000, { fetch_batch_size: 10 });
    const seen: number[] = [];
    await channel.consume('q', (d: Delivery) => {
      seen.push(JSON.parse(d.body.toString()) as number);
      void channel.ack(d.deliveryTag);
    });
    await until(() => seen.length === 1000);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await transport.close();
  });

  it('keeps unacked deliveries within the prefetch count', async () => {
    const { transport, channel } = await setUp(300, { fetch_batch_size: 10 });
    await channel.qos(25);
    const held: Delivery[] = [];
    let delivered = 0;
    let most = 0;
    await channel.consume('q', (d: Delivery) => {
      held.push(d);
      delivered++;
      most = Math.max(most, channel.unackedCount);
    });
    // Ack in bursts, so the channel keeps taking full batches.
    while (delivered < 300) {
      await until(() => held.length > 0);
      for (const d of held.splice(0)) await channel.ack(d.deliveryTag);
    }
    expect(delivered).toBe(300);
    expect(most).toBeGreaterThan(10);
    expect(most).toBeLessThanOrEqual(25);
    await transport.close();
  });

  it('gives back what a lookahead took when the consumer is cancelled: nothing is lost', async () => {
    const { transport, channel } = await setUp(500, { fetch_batch_size: 20 });
    const seen: number[] = [];
    const tag = await channel.consume('q', (d: Delivery) => {
      seen.push(JSON.parse(d.body.toString()) as number);
      void channel.ack(d.deliveryTag);
    });
    await until(() => seen.length >= 100);
    await channel.cancel(tag);
    await new Promise((r) => setTimeout(r, 20));
    const left = (await channel.declareQueue({ name: 'q', durable: true, exclusive: false, autoDelete: false, arguments: {} })).messageCount;
    expect(seen.length + left).toBe(500);
    expect(new Set(seen).size).toBe(seen.length);
    await transport.close();
  });
});
