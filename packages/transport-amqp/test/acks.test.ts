/**
 * Acks gathered per turn and sent as one `basic.ack multiple` where that is exact (channel.ts): on
 * RabbitMQ at 127.0.0.1:5672, the messages left unacked must come back after the channel closes,
 * and only those, whatever order the acks were given in; acks given just before a close still count.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUrl, type Channel, type Delivery, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { AmqpTransport, transport } from '../src/index.js';

const URL = 'amqp://guest:guest@127.0.0.1:5672//';
const open: AmqpTransport[] = [];
const created: string[] = [];

const connect = async (): Promise<AmqpTransport> => {
  const t = transport.create(parseUrl(URL), {}) as AmqpTransport;
  await t.connect();
  open.push(t);
  return t;
};
const raw = (text: string): RawMessage => ({ body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: {}, properties: {} });

afterEach(async () => {
  const cleaner = await connect();
  const ch = await cleaner.createChannel();
  for (const name of created.splice(0)) await ch.deleteQueue(name).catch(() => undefined);
  for (const t of open.splice(0)) await t.close();
});

/** A queue holding messages "0".."n-1", and a consumer channel that has received them all. */
async function received(n: number): Promise<{ queue: string; ch: Channel; deliveries: Delivery[] }> {
  const queue = `cq.test.acks.${randomUUID().slice(0, 8)}`;
  created.push(queue);
  const ch = await (await connect()).createChannel();
  await ch.declareQueue({ name: queue, durable: false, exclusive: false, autoDelete: false, arguments: {} });
  for (let i = 0; i < n; i++) await ch.publish(raw(String(i)), '', queue);
  const deliveries: Delivery[] = [];
  await ch.consume(queue, (d) => void deliveries.push(d));
  await waitUntil(() => deliveries.length === n, 5_000);
  return { queue, ch, deliveries };
}

/** Closes `ch`, then drains `queue` on a fresh channel: the bodies the broker gave back. */
async function leftAfterClose(ch: Channel, queue: string): Promise<string[]> {
  await ch.close();
  const again = await (await connect()).createChannel();
  const left: string[] = [];
  for (let d = await again.get(queue, { noAck: true }); d; d = await again.get(queue, { noAck: true })) left.push(d.body.toString());
  return left.sort((a, b) => Number(a) - Number(b));
}

describe('acks of one turn', () => {
  it('a run of acks below every unsettled delivery settles exactly those (one multiple ack)', async () => {
    const { queue, ch, deliveries } = await received(10);
    for (const d of deliveries.slice(0, 6)) await ch.ack(d.deliveryTag);
    await new Promise((r) => setTimeout(r, 100)); // let the turn's acks go out before the close
    expect(await leftAfterClose(ch, queue)).toEqual(['6', '7', '8', '9']);
  });

  it('acks above an unsettled delivery do not settle it, in any order', async () => {
    const { queue, ch, deliveries } = await received(10);
    for (const i of [8, 1, 0, 4, 5, 3]) await ch.ack(deliveries[i]!.deliveryTag);
    await ch.reject(deliveries[7]!.deliveryTag, false);
    await new Promise((r) => setTimeout(r, 100));
    expect(await leftAfterClose(ch, queue)).toEqual(['2', '6', '9']);
  });

  it('acks given in the same turn as the close are sent before it', async () => {
    const { queue, ch, deliveries } = await received(5);
    for (const d of deliveries.slice(1, 4)) void ch.ack(d.deliveryTag);
    expect(await leftAfterClose(ch, queue)).toEqual(['0', '4']);
  });
});
