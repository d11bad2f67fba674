/**
 * Header tables only a hostile publisher writes (cq issue 15), on RabbitMQ at 127.0.0.1:5672: nested
 * 20,000 deep (amqplib's recursive decoder overflows: unpatched, the frame error closes the connection
 * and the message comes back on the next one, forever) and 3,000 deep (amqplib decodes it; past the
 * 1000 levels cq allows). RabbitMQ 3.10 passes both through (it refuses an unknown type tag itself,
 * closing the publisher's connection). Each is rejected without requeue and reported once to
 * `onInvalidMessage`; the messages around them are delivered on the same, still open, connection.
 * amqplib cannot encode such tables, so the test writes the AMQP frames itself.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUrl, type Delivery, type InvalidMessageReport } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { amqplib } from '../src/amqplib.js';
import { AmqpTransport, transport } from '../src/index.js';

const URL = 'amqp://guest:guest@127.0.0.1:5672//';
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}

const shortstr = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };

/** basic.publish to `queue` through the default exchange, with `table` (raw field-table bytes) as headers. */
function publishFrames(channel: number, queue: string, table: Buffer, body: Buffer): Buffer {
  const method = Buffer.concat([u16(60), u16(40), u16(0), shortstr(''), shortstr(queue), Buffer.from([0])]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(body.length));
  const header = Buffer.concat([u16(60), u16(0), size, u16(0x2000), u32(table.length), table]);
  return Buffer.concat([frame(1, channel, method), frame(2, channel, header), frame(3, channel, body)]);
}

/** `{ d: [[[…1…]]] }` with `depth` nested arrays, as field-table bytes. */
function deepTable(depth: number): Buffer {
  let value = Buffer.from([0x49, 0, 0, 0, 1]); // I 1
  for (let i = 0; i < depth; i++) value = Buffer.concat([Buffer.from('A'), u32(value.length), value]);
  return Buffer.concat([shortstr('d'), value]);
}

describe('messages whose headers cannot be read', () => {
  it('are rejected and reported once, and the connection keeps delivering the others', async () => {
    const queue = `cq.test.hostile.${randomUUID().slice(0, 8)}`;
    const consumer = transport.create(parseUrl(URL), {}) as AmqpTransport;
    const reports: InvalidMessageReport[] = [];
    consumer.onInvalidMessage = (r) => reports.push(r);
    await consumer.connect();
    cleanup.push(() => consumer.close());
    const ch = await consumer.createChannel();
    await ch.declareQueue({ name: queue, durable: false, exclusive: false, autoDelete: false, arguments: {} });
    cleanup.push(async () => { const c = await consumer.createChannel(); await c.deleteQueue(queue); });
    const delivered: Delivery[] = [];
    await ch.consume(queue, (d) => {
      delivered.push(d);
      void ch.ack(d.deliveryTag);
    });

    const publisher = await amqplib.connect(URL);
    cleanup.push(() => publisher.close());
    const pch = await publisher.createChannel();
    const socket = (publisher as unknown as { connection: { stream: NodeJS.WritableStream } }).connection.stream;
    const number = (pch as unknown as { ch: number }).ch;
    const plain = (n: number) => publishFrames(number, queue, Buffer.concat([shortstr('n'), Buffer.from('I'), u32(n)]), Buffer.from(`ok ${n}`));
    socket.write(Buffer.concat([
      plain(1),
      publishFrames(number, queue, deepTable(20_000), Buffer.from('too deep for amqplib')),
      plain(2),
      publishFrames(number, queue, deepTable(3000), Buffer.from('too deep for cq')),
      plain(3),
    ]));

    await waitUntil(() => delivered.length === 3 && reports.length === 2, 10_000);
    expect(delivered.map((d) => [d.body.toString(), d.headers['n']])).toEqual([['ok 1', 1], ['ok 2', 2], ['ok 3', 3]]);
    expect(reports.map((r) => [r.queue, r.code, r.outcome])).toEqual(Array(2).fill([queue, 'CQ_AMQP_BAD_HEADERS', 'dropped']));
    expect(reports[0]!.reason).toMatch(/^headers cannot be decoded: Maximum call stack size exceeded/);
    expect(reports[1]!.reason).toBe('headers cannot be decoded: nested more than 1000 levels deep');
    // Rejected without requeue: nothing comes back, and the consumer's connection never dropped.
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered).toHaveLength(3);
    expect(reports).toHaveLength(2);
    expect(consumer.isConnected).toBe(true);
    expect((await ch.declareQueue({ name: queue, durable: false, exclusive: false, autoDelete: false, arguments: {} })).messageCount).toBe(0);
  });
});
