/**
 * Custom queues and routing keys across languages, on Redis and RabbitMQ: a direct exchange with a
 * queue bound by a routing key, declared the same way on both sides (CQ_INTEROP_QUEUES), and
 * `task_routes` on the sending side pointing at a non-default queue. The worker consumes only the
 * custom queues, so a task that runs there was routed there; the task reports the exchange and
 * routing key it was delivered with. `queue=` naming a queue of a direct exchange goes through the
 * default exchange with the queue name as routing key (Celery's `send_task_message`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, Exchange } from '@cq/celery';
import { AMQP, deleteAmqp, deleteRedisKeys, runSuffix } from './brokers.js';
import { pythonCall, startCqWorker, startPythonWorker, stop, type Proc, type Urls } from './helpers.js';

const suffix = runSuffix();
interface Where { tag: string; by: string; exchange: string | null; routing_key: string | null }

const brokers = [
  { name: 'Redis', urls: (db: number): Urls => ({ broker: `redis://127.0.0.1:6379/${db}`, backend: `redis://127.0.0.1:6379/${db}`, queue: '' }), db: (db: number) => db },
  { name: 'RabbitMQ', urls: (db: number): Urls => ({ broker: AMQP, backend: `redis://127.0.0.1:6379/${db - 6}`, queue: '' }), db: (db: number) => db - 6 },
];

/** Names of one block: default queue, the bound queue + its exchange and key, the task_routes queue. */
function names(tag: string) {
  const n = (what: string) => `interop.${what}.${tag}.${suffix}`;
  return { defaultQueue: n('rdef'), bound: n('rq'), exchange: n('x'), routingKey: n('rk'), routed: n('tq') };
}

function envFor(n: ReturnType<typeof names>): Record<string, string> {
  return {
    CQ_INTEROP_QUEUES: JSON.stringify([{ name: n.bound, exchange: n.exchange, exchange_type: 'direct', routing_key: n.routingKey }]),
    CQ_INTEROP_ROUTES: JSON.stringify({ 'mix.routed': { queue: n.routed } }),
  };
}

async function cleanup(broker: string, db: number, n: ReturnType<typeof names>): Promise<void> {
  await deleteRedisKeys(db, suffix);
  if (broker === 'RabbitMQ') {
    await deleteAmqp([n.defaultQueue, n.bound, n.routed], [n.defaultQueue, n.exchange, n.bound, n.routed]);
  }
}

describe.each(brokers)('routing: cq client → Python worker ($name)', (b) => {
  const n = names(`cq2py.${b.name.toLowerCase()}`);
  const urls = { ...b.urls(12), queue: n.defaultQueue };
  let worker: Proc | undefined;
  let client: Celery;
  beforeAll(async () => {
    worker = await startPythonWorker(urls, ['-Q', `${n.bound},${n.routed}`], envFor(n));
    client = new Celery('client', {
      task_default_queue: n.defaultQueue,
      task_queues: [{ name: n.bound, exchange: new Exchange(n.exchange, { type: 'direct' }), routingKey: n.routingKey }],
      task_routes: { 'mix.routed': { queue: n.routed } },
    }).configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await stop(worker);
    await cleanup(b.name, b.db(12), n);
  });

  it('a task sent to the custom exchange with the custom routing key runs on the bound queue', async () => {
    const r = await client.sendTask<Where>('mix.where', ['rk'], { exchange: n.exchange, routingKey: n.routingKey });
    expect(await r.get({ timeout: 20 })).toEqual({ tag: 'rk', by: 'py', exchange: n.exchange, routing_key: n.routingKey });
  });

  it('queue= naming the bound queue publishes to it through the default exchange, as Celery does', async () => {
    const r = await client.sendTask<Where>('mix.where', ['queue'], { queue: n.bound });
    expect(await r.get({ timeout: 20 })).toEqual({ tag: 'queue', by: 'py', exchange: '', routing_key: n.bound });
  });

  it('task_routes on the cq side sends the task to the routed queue', async () => {
    const r = await client.sendTask<Where>('mix.routed', ['routes']);
    expect(await r.get({ timeout: 20 })).toEqual({ tag: 'routes', by: 'py', exchange: '', routing_key: n.routed });
  });
});

describe.each(brokers)('routing: Python client → cq worker ($name)', (b) => {
  const n = names(`py2cq.${b.name.toLowerCase()}`);
  const urls = { ...b.urls(13), queue: n.defaultQueue };
  let worker: Proc | undefined;
  beforeAll(async () => {
    worker = await startCqWorker(urls, ['-Q', `${n.bound},${n.routed}`], envFor(n));
  }, 60_000);
  afterAll(async () => {
    await stop(worker);
    await cleanup(b.name, b.db(13), n);
  });

  it('a task sent to the custom exchange with the custom routing key runs on the bound queue', async () => {
    const res = await pythonCall(urls, { name: 'mix.where', args: ['rk'], options: { exchange: n.exchange, routing_key: n.routingKey } }, envFor(n));
    expect(res).toMatchObject({ state: 'SUCCESS', result: { tag: 'rk', by: 'ts', exchange: n.exchange, routing_key: n.routingKey } });
  });

  it('queue= naming the bound queue publishes to it through the default exchange', async () => {
    const res = await pythonCall(urls, { name: 'mix.where', args: ['queue'], options: { queue: n.bound } }, envFor(n));
    expect(res).toMatchObject({ state: 'SUCCESS', result: { tag: 'queue', by: 'ts', exchange: '', routing_key: n.bound } });
  });

  it('task_routes on the Python side sends the task to the routed queue', async () => {
    const res = await pythonCall(urls, { name: 'mix.routed', args: ['routes'] }, envFor(n));
    expect(res).toMatchObject({ state: 'SUCCESS', result: { tag: 'routes', by: 'ts', exchange: '', routing_key: n.routed } });
  });
});
