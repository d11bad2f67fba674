/**
 * Routing with real sends and consumption on RabbitMQ: `task_routes` as a map of names and globs, a
 * function router and a list of routers; `task_queues` with a topic exchange; call options beating
 * routes; `task_create_missing_queues = false`; priorities with `task_queue_max_priority` and
 * `task_default_priority`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Exchange } from '@cq/kombu';
import type { TaskContext } from '@cq/app';
import { Fixture, uniq, until } from './helpers.js';

const fx = new Fixture('amqp');
afterAll(() => fx.cleanup());

describe('routing', () => {
  it('routes by name, glob, function and list order, with call options winning', async () => {
    const [qa, qg, qf, qx] = [uniq('ra'), uniq('rg'), uniq('rf'), uniq('rx')];
    const seen: Array<{ name: string; arg: unknown; routingKey: string }> = [];
    const fn = (name: string, args: unknown[]) => (name === 'sem.route.fn' ? (args[0] === 'x' ? qx : { queue: qf }) : null);
    const app = fx.app({ task_routes: [fn, { 'sem.route.a': qa, 'sem.route.g*': { queue: qg } }] });
    fx.track(app, qa, qg, qf, qx);
    const record = (ctx: TaskContext, arg: unknown) => { seen.push({ name: ctx.name, arg, routingKey: ctx.request.deliveryInfo.routing_key }); };
    const a = app.task('sem.route.a', record, { bind: true });
    const g = app.task('sem.route.glob', record, { bind: true });
    const f = app.task('sem.route.fn', record, { bind: true });
    const d = app.task('sem.route.default', record, { bind: true });
    await fx.worker(app, { queues: [qa, qg, qf, qx, app.conf.task_default_queue] });
    await a.delay(1);
    await g.delay(2);
    await f.delay('y');
    await f.delay('x');
    await d.delay(3);
    await a.applyAsync([4], { queue: qg });
    expect(await until(() => seen.length === 6)).toBe(true);
    const where = (name: string, arg: unknown) => seen.find((s) => s.name === name && s.arg === arg)?.routingKey;
    expect(where('sem.route.a', 1)).toBe(qa);
    expect(where('sem.route.glob', 2)).toBe(qg);
    expect(where('sem.route.fn', 'y')).toBe(qf);
    expect(where('sem.route.fn', 'x')).toBe(qx);
    expect(where('sem.route.default', 3)).toBe(app.conf.task_default_queue);
    expect(where('sem.route.a', 4)).toBe(qg);
  });

  it('publishes through the topic exchange of a queue in task_queues', async () => {
    const queue = uniq('topic');
    const exchange = uniq('topicx');
    fx.trackExchange(exchange);
    const app = fx.app({
      task_queues: [{ name: queue, exchange: new Exchange(exchange, { type: 'topic' }), routingKey: 'sem.#' }],
      task_routes: { 'sem.topic.*': { queue, routing_key: 'sem.topic.created' } },
    });
    fx.track(app, queue);
    const got: Array<{ exchange: string; routingKey: string }> = [];
    const t = app.task('sem.topic.created', (ctx: TaskContext) => {
      got.push({ exchange: ctx.request.deliveryInfo.exchange, routingKey: ctx.request.deliveryInfo.routing_key });
    }, { bind: true });
    await fx.worker(app);
    await t.delay();
    expect(await until(() => got.length === 1)).toBe(true);
    expect(got[0]).toEqual({ exchange, routingKey: 'sem.topic.created' });
  });

  it('refuses to send to a queue missing from task_queues when task_create_missing_queues is false', async () => {
    const known = uniq('known');
    const app = fx.app({ task_queues: [known], task_create_missing_queues: false, task_default_queue: known });
    const t = app.task('sem.route.strict', () => 'ok');
    await fx.worker(app);
    expect(await (await t.delay()).get({ timeout: 5 })).toBe('ok');
    await expect(t.applyAsync([], { queue: uniq('unknown') })).rejects.toMatchObject({ name: 'QueueNotFound', code: 'CQ_APP_QUEUE_NOT_FOUND' });
  });

  it('runs higher priorities first on a queue declared with task_queue_max_priority', async () => {
    const app = fx.app({ task_queue_max_priority: 10, task_default_priority: 5, worker_prefetch_multiplier: 1, task_ignore_result: true });
    const order: string[] = [];
    const t = app.task('sem.prio', (label: string) => { order.push(label); });
    // Declare the queue (with x-max-priority) and fill it before any consumer exists.
    await fx.queueLength(app, app.conf.task_default_queue);
    await t.applyAsync(['low'], { priority: 1 });
    await t.applyAsync(['default']);
    await t.applyAsync(['high'], { priority: 9 });
    await t.applyAsync(['low2'], { priority: 0 });
    await fx.worker(app, { concurrency: 1 });
    expect(await until(() => order.length === 4)).toBe(true);
    expect(order).toEqual(['high', 'default', 'low', 'low2']);
  });
});
