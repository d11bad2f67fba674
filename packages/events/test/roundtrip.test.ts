/**
 * Dispatcher → receiver on real brokers: Redis DB 14 (celeryev as fanout / PUB-SUB) and RabbitMQ
 * (topic exchange, names prefixed `cqt.ev.`). Checks the wire shape Celery expects.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/app';
import { EventDispatcher } from '../src/dispatcher.js';
import type { CeleryEvent } from '../src/event.js';
import { EventReceiver } from '../src/receiver.js';
import { events } from '../src/sent.js';
import { amqpTransport } from '@cq/transport-amqp';
import { redisTransport } from '@cq/transport-redis';

const plugins = () => [redisTransport(), amqpTransport(), events()];

const BROKERS = [
  { name: 'redis', url: 'redis://127.0.0.1:6379/14' },
  { name: 'amqp', url: 'amqp://guest:guest@127.0.0.1:5672//' },
];

async function until(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(BROKERS)('events on $name', ({ name, url }) => {
  const app = new Celery('evtest', { broker_url: url, event_exchange: 'cqt.ev.celeryev', event_queue_prefix: 'cqt.ev.q' }, { plugins: plugins() });
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    const conn = app.connection();
    await (await conn.channel()).deleteExchange('cqt.ev.celeryev').catch(() => undefined);
    await conn.close();
    await app.close();
  });

  it('delivers single events and task.multi arrays with Celery fields, headers and routing keys', async () => {
    const got: CeleryEvent[] = [];
    const receiver = new EventReceiver({ app, handlers: { '*': (e) => got.push(e) } });
    await receiver.start();
    cleanup.push(() => receiver.close());
    expect(receiver.queue!.name).toMatch(/^cqt\.ev\.q\.[0-9a-f-]{36}$/);
    expect(receiver.queue!.arguments).toEqual({ 'x-message-ttl': 5000, 'x-expires': 60000 });
    expect(receiver.queue!.autoDelete).toBe(true);
    expect(receiver.queue!.durable).toBe(false);
    expect(receiver.queue!.exchange.type).toBe(name === 'redis' ? 'fanout' : 'topic');

    const dispatcher = await new EventDispatcher({ app, hostname: 'w1@evtest', bufferGroups: ['task'] }).open();
    cleanup.push(() => dispatcher.close());
    await dispatcher.send('worker-online', { freq: 2.0, active: 0, processed: 0 });
    await dispatcher.send('task-received', { uuid: 'u1', name: 'proj.add' });
    await dispatcher.send('task-succeeded', { uuid: 'u1', result: '5', runtime: 0.1 });
    await until(() => got.length >= 3);
    const [online, received, succeeded] = got;
    expect(online).toMatchObject({ type: 'worker-online', hostname: 'w1@evtest', pid: process.pid, freq: 2, utcoffset: expect.any(Number) });
    expect(typeof online!.clock).toBe('number');
    expect(typeof online!.timestamp).toBe('number');
    expect(typeof online!.local_received).toBe('number');
    expect(received).toMatchObject({ type: 'task-received', uuid: 'u1', name: 'proj.add' });
    expect(succeeded).toMatchObject({ type: 'task-succeeded', uuid: 'u1', result: '5', runtime: 0.1 });
    expect(succeeded!.clock!).toBeGreaterThan(received!.clock!);
  });

  it('filters by group and does nothing when disabled', async () => {
    const got: CeleryEvent[] = [];
    const receiver = await new EventReceiver({ app, handlers: { '*': (e) => got.push(e) } }).start();
    cleanup.push(() => receiver.close());
    const workerOnly = await new EventDispatcher({ app, hostname: 'w2@evtest', groups: ['worker'] }).open();
    cleanup.push(() => workerOnly.close());
    await workerOnly.send('task-started', { uuid: 'x' });
    await workerOnly.send('worker-heartbeat', { freq: 2 });
    const off = await new EventDispatcher({ app, hostname: 'w3@evtest', enabled: false }).open();
    cleanup.push(() => off.close());
    await off.send('worker-heartbeat', { freq: 2 });
    await until(() => got.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(got.map((e) => `${e.hostname} ${e.type}`)).toEqual(['w2@evtest worker-heartbeat']);
  });
});

describe.each(BROKERS)('task-sent on $name', ({ url }) => {
  it('app.sendTask sends task-sent with Celery fields when task_send_sent_event is on', async () => {
    const app = new Celery('evsent', { broker_url: url, event_exchange: 'cqt.ev.celeryev', event_queue_prefix: 'cqt.ev.q', task_send_sent_event: true }, { plugins: plugins() });
    const got: CeleryEvent[] = [];
    const receiver = await new EventReceiver({ app, handlers: { 'task-sent': (e) => got.push(e) } }).start();
    const queue = `cqt.ev.sent.${process.pid}`;
    try {
      const result = await app.sendTask('proj.add', [2, 3], { queue });
      await until(() => got.length >= 1);
      expect(got[0]).toMatchObject({
        type: 'task-sent', uuid: result.id, name: 'proj.add', args: '(2, 3)', kwargs: '{}', retries: 0, root_id: result.id,
        parent_id: null, eta: null, expires: null, queue, exchange: '', routing_key: queue, hostname: app.origin, pid: process.pid,
      });
    } finally {
      await receiver.close();
      const ch = await app.connection().channel();
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.deleteExchange(queue).catch(() => undefined);
      await ch.deleteExchange('cqt.ev.celeryev').catch(() => undefined);
      await ch.close();
      await app.close();
    }
  });
});
