/**
 * Broker failover (Celery `broker_url = 'amqp://a//;amqp://b//'`): `connect` takes the first URL that
 * answers, and after a lost connection the transport moves to the next URL at once, kombu's way —
 * against a private RabbitMQ node that is SIGKILLed and the shared one on 5672.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, ConnectionError, type Delivery, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { RabbitNode, freePort } from '@cq/tooling/testing';
import { transport, type AmqpTransport } from '../src/index.js';

const SHARED = 'amqp://guest:guest@127.0.0.1:5672//';
const raw = (text: string): RawMessage => ({ body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: {}, properties: {} });

describe('AMQP failover over a ;-separated broker URL', () => {
  const connections: Connection[] = [];
  const open = (url: string, transportOptions: Record<string, unknown> = {}) => {
    const conn = new Connection(url, { transport, transportOptions });
    connections.push(conn);
    return conn;
  };
  let node: RabbitNode | null = null;
  afterAll(async () => {
    for (const conn of connections) await conn.close().catch(() => undefined);
    await node?.destroy();
  }, 30_000);

  it('connect skips a URL nobody answers at and takes the next; with none answering it fails naming the last', async () => {
    const [deadPort, deadPortToo] = [await freePort(), await freePort()];
    const dead = `amqp://guest:guest@127.0.0.1:${deadPort}//`;
    const conn = await open(`${dead};${SHARED}`).connect();
    expect(conn.alternates.map((u) => u.port)).toEqual([deadPort, 5672]);
    expect((conn.transport as AmqpTransport).brokerAddress).toBe('127.0.0.1:5672');
    const err = await open(`${dead};amqp://guest:guest@127.0.0.1:${deadPortToo}//`).connect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(String(err)).toContain(`127.0.0.1:${deadPortToo}`);
  });

  it('after its node is killed, reconnects to the next URL at once and resumes its consumer there', async () => {
    node = await RabbitNode.start();
    // A long back-off: a reconnect that waited for it would not finish within the test's wait.
    const conn = await open(`${node.url};${SHARED}`, { interval_start: 20, interval_step: 0, interval_max: 20 }).connect();
    const t = conn.transport as AmqpTransport;
    expect(t.brokerAddress).toBe(`127.0.0.1:${node.port}`);
    const ch = await conn.channel();
    const queue = `cq.test.failover.${randomUUID().slice(0, 8)}`;
    await ch.declareQueue({ name: queue, durable: false, exclusive: false, autoDelete: true, arguments: {} });
    const got: Delivery[] = [];
    await ch.consume(queue, (d) => { got.push(d); void ch.ack(d.deliveryTag); });
    await ch.publish(raw('on the private node'), '', queue);
    await waitUntil(() => got.length === 1);

    const killedAt = Date.now();
    await node.kill();
    await waitUntil(() => t.reconnects === 1 && t.isConnected, 5000);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(t.brokerAddress).toBe('127.0.0.1:5672');
    // The channel declared the queue again on the shared node and resumed consuming from it.
    await ch.publish(raw('on the shared node'), '', queue);
    await waitUntil(() => got.length === 2, 5000);
    expect(got.map((d) => d.body.toString())).toEqual(['on the private node', 'on the shared node']);
  }, 60_000);
});
