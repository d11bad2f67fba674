// TEMP: transport-only parking consumer, to see whether GC survival comes from transport/ioredis.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Celery, buildTaskMessage } from '@cq/app';
import { Connection, Consumer, Queue, toEnvelope, isEtaParkingChannel } from '@cq/kombu';
import { redisTransport } from '@cq/transport-redis';

const url = 'redis://127.0.0.1:6379/8';
const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 8 });
const queue = `cqt.etamicro.${randomUUID().slice(0, 8)}`;
const total = 100_000;
const start = Date.now();
let batch = redis.pipeline();
for (let n = 0; n < total; n++) {
  const eta = start + 60_000 + ((n * 7919) % (59 * 60_000));
  const parts = buildTaskMessage({ name: 'etapark.stamp', id: randomUUID(), args: ['x', n], eta: new Date(eta), ignoreResult: true });
  const msg = { body: Buffer.from(JSON.stringify(parts.body)), contentType: 'application/json', contentEncoding: 'utf-8', headers: { ...parts.headers }, properties: { ...parts.properties } };
  batch.lpush(queue, JSON.stringify(toEnvelope(msg, '', queue)));
  if (n % 2000 === 1999) { await batch.exec(); batch = redis.pipeline(); }
}
await batch.exec();
const app = new Celery('micro', { broker_url: url }, { plugins: [redisTransport()] });
const conn = new Connection(url, { transportOptions: { visibility_timeout: 10 }, transports: app.transports });
await conn.connect();
const channel = await conn.channel();
if (!isEtaParkingChannel(channel)) throw new Error('no parking');
console.log('MARK consume');
let parked = 0;
const mode = process.env['M_MODE'] ?? 'park';
if (mode === 'raw') {
  await channel.declareQueue({ name: queue, durable: true, exclusive: false, autoDelete: false, arguments: {} } as never);
  await channel.qos(80);
  await channel.consume(queue, (d) => { void channel.ack(d.deliveryTag).then(() => { parked++; }); });
} else {
const consumer = new Consumer(channel, { queues: [new Queue(queue)], prefetchCount: 80, onMessage: async (message) => {
  const eta = Date.parse(String(message.headers['eta']));
  if (mode === 'park') await channel.parkDelivery(message.deliveryTag, eta);
  else await message.ack();
  parked++;
} });
await consumer.consume();
}
while (parked < total) await new Promise((r) => setTimeout(r, 100));
console.log('MARK done', Date.now() - start);
await conn.close();
await redis.del(queue, `_cq.eta.index\x06\x16${queue}`, `_cq.eta.messages\x06\x16${queue}`);
redis.disconnect();
await app.close();
