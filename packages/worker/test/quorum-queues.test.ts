/**
 * cq's own quorum queues on RabbitMQ (Celery 5.5 `task_default_queue_type = 'quorum'`), in a vhost
 * made for this file: the worker consumes its quorum queue under a per-consumer prefetch limit, its
 * DelayedDelivery step declares kombu's delay queues and binds the queue to them, and countdown, ETA
 * and retry-countdown tasks wait in the broker's delay queues, running after their delay and not
 * before. Results are not stored: the task notes each run in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, currentTask, type BoundTaskContext } from '@cq/app';
import { calculateRoutingKey } from '@cq/transport-amqp';
import { RabbitVhost } from '@cq/tooling/testing';
import { Worker } from '@cq/worker';
import { quietLog, uniq, until } from './helpers.js';
import { testPlugins } from './plugins.js';

interface Run { tag: string; at: number; exchange: string; routingKey: string; retries: number }

let vhost: RabbitVhost;
let app: Celery;
let worker: Worker;
const queue = uniq('quorum');
const runs: Run[] = [];

const note = (tag: string, ctx?: BoundTaskContext) => {
  const request = ctx?.request ?? currentTask()!.request;
  runs.push({ tag, at: Date.now(), exchange: request.deliveryInfo.exchange, routingKey: request.deliveryInfo.routing_key, retries: request.retries });
};

beforeAll(async () => {
  vhost = await RabbitVhost.create('cq-worker-quorum');
  app = new Celery('quorum', {
    broker_url: vhost.url,
    task_default_queue: queue,
    task_default_queue_type: 'quorum',
    task_default_exchange_type: 'topic', // Celery's advice: direct exchanges cannot take part in delayed delivery
    task_ignore_result: true,
  }, { plugins: testPlugins() });
  app.log = quietLog();
  app.task('q.note', (tag: string) => note(tag));
  app.task('q.retry', (ctx: BoundTaskContext, tag: string) => {
    note(tag, ctx);
    if (ctx.request.retries === 0) ctx.retry({ countdown: 2 });
  }, { bind: true, maxRetries: 1 });
  worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 2 });
  await worker.start();
}, 60_000);

afterAll(async () => {
  await worker?.shutdown('cold').catch(() => undefined);
  await app?.close();
  await vhost?.delete();
}, 60_000);

/**
 * A probe of the ready messages of `name` as the broker counts them now (a declaration with the
 * queue's own arguments; `rabbitmqctl list_queues` reports quorum queue counts only every few seconds).
 */
async function readyIn(name: string): Promise<() => Promise<number>> {
  const row = (await vhost.list('queues', ['name', 'arguments'])).find((q) => q.name === name)!;
  const args = Object.fromEntries((row.arguments as Array<[string, string, unknown]>).map(([k, , v]) => [k, v]));
  return async () => {
    const conn = app.connection();
    try {
      const channel = await conn.channel();
      return (await channel.declareQueue({ name, durable: true, exclusive: false, autoDelete: false, arguments: args })).messageCount;
    } finally {
      await conn.close();
    }
  };
}

const runOf = async (tag: string, timeoutMs: number): Promise<Run> => {
  expect(await until(() => runs.some((r) => r.tag === tag), timeoutMs)).toBe(true);
  return runs.find((r) => r.tag === tag)!;
};

describe('a cq worker on a quorum queue', () => {
  it('declares the default queue as quorum and consumes it with a per-consumer prefetch limit that stays fixed', async () => {
    const queues = await vhost.list('queues', ['name', 'type', 'arguments']);
    expect(queues.find((q) => q.name === queue)).toEqual({ name: queue, type: 'quorum', arguments: [['x-queue-type', 'longstr', 'quorum']] });
    const consumers = (await vhost.list('consumers', ['queue_name', 'prefetch_count'])).filter((c) => c.queue_name === queue);
    expect(consumers).toEqual([{ queue_name: queue, prefetch_count: 2 * 4 }]); // concurrency × worker_prefetch_multiplier, per consumer
    expect(worker.consumer?.qos?.fixed).toBe(true);
    expect(worker.consumer!.blueprint.steps.map((s) => s.name)).toContain('DelayedDelivery'); // Celery: include_if detect_quorum_queues

    await app.sendTask('q.note', ['now']);
    const run = await runOf('now', 10_000);
    expect(run).toMatchObject({ exchange: queue, routingKey: queue });
  }, 30_000);

  it('has declared the delay queues and bound its queue to celery_delayed_delivery before it was ready', async () => {
    const types = new Map((await vhost.list('queues', ['name', 'type'])).map((q) => [q.name, q.type]));
    for (let level = 0; level < 28; level++) expect(types.get(`celery_delayed_${level}`)).toBe('quorum'); // broker_native_delayed_delivery_queue_type
    const bindings = (await vhost.list('bindings', ['source_name', 'destination_name', 'destination_kind', 'routing_key']))
      .filter((b) => b.destination_name === queue || b.source_name === 'celery_delayed_delivery');
    // kombu bind_queue_to_native_delayed_delivery_exchange: exchange.bind_to(celery_delayed_delivery, '#.<key>'), queue.bind_to(exchange, '#.<key>')
    expect(bindings).toEqual(expect.arrayContaining([
      { source_name: 'celery_delayed_delivery', destination_name: queue, destination_kind: 'exchange', routing_key: `#.${queue}` },
      { source_name: queue, destination_name: queue, destination_kind: 'queue', routing_key: `#.${queue}` },
    ]));
  }, 30_000);

  it('sends a countdown through the delay queues: the task runs after 3 s, not before, with kombu\'s routing key', async () => {
    const level1 = await readyIn('celery_delayed_1');
    expect(await level1()).toBe(0);
    const sent = Date.now();
    await app.sendTask('q.note', ['countdown'], { countdown: 3 });
    // 3 s = binary 11: the message waits 2 s in celery_delayed_1, then 1 s in celery_delayed_0.
    expect(await level1()).toBe(1);
    expect(runs.some((r) => r.tag === 'countdown')).toBe(false);
    const run = await runOf('countdown', 10_000);
    expect(run.at - sent).toBeGreaterThanOrEqual(3000);
    expect(run.at - sent).toBeLessThan(6000);
    expect(run).toMatchObject({ exchange: 'celery_delayed_delivery', routingKey: calculateRoutingKey(3, queue) });
  }, 30_000);

  it('sends an ETA the same way (int of the seconds left), the worker waiting out the fraction', async () => {
    const eta = new Date(Date.now() + 2600);
    await app.sendTask('q.note', ['eta'], { eta });
    const run = await runOf('eta', 10_000);
    expect(run.at).toBeGreaterThanOrEqual(eta.getTime());
    expect(run.at - eta.getTime()).toBeLessThan(2500);
    expect(run.routingKey).toBe(calculateRoutingKey(2, queue)); // int(2.6 − publish time) = 2
  }, 30_000);

  it('sends a retry with a countdown through the delay queues again, without piling up prefixes', async () => {
    await app.sendTask('q.retry', ['retry']);
    expect(await until(() => runs.filter((r) => r.tag === 'retry').length === 2, 12_000)).toBe(true);
    const [first, second] = runs.filter((r) => r.tag === 'retry');
    expect(second!.retries).toBe(1);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000);
    expect(second!.routingKey).toBe(calculateRoutingKey(2, queue));
  }, 30_000);
});
