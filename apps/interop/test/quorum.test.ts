/**
 * A Python Celery 5.2 client and a real `cq worker` process on a RabbitMQ quorum queue, in a vhost made
 * for this file (results over rpc://, so everything stays in it and goes with it).
 *
 * Python declares the queue with `x-queue-type: quorum` when it publishes; the cq worker declares the
 * same queue (the broker would refuse a declaration with other arguments), consumes it under a
 * per-consumer prefetch limit (a channel-wide one makes RabbitMQ close the connection) and answers.
 * Debian's Celery 5.2.6 has no native delayed delivery, so its countdown goes straight to the queue
 * and the cq worker holds it until due; Python's side of delayed delivery cannot be checked here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RabbitVhost } from '@cq/tooling/testing';
import { pythonCall, startCqWorker, stop, type Proc, type Urls } from './helpers.js';
import { runSuffix } from './brokers.js';

const queue = `interop.quorum.${runSuffix()}`;
const env = { CQ_INTEROP_QUEUES: JSON.stringify([{ name: queue, exchange_type: 'topic', queue_arguments: { 'x-queue-type': 'quorum' } }]) };
let vhost: RabbitVhost;
let urls: Urls;
let worker: Proc | undefined;

beforeAll(async () => {
  vhost = await RabbitVhost.create('cq-interop-quorum');
  urls = { broker: vhost.url, backend: 'rpc://', queue };
  worker = await startCqWorker(urls, [], env);
}, 60_000);

afterAll(async () => {
  await stop(worker);
  await vhost?.delete();
}, 60_000);

describe('Python Celery 5.2 → cq worker on a quorum queue', () => {
  it('runs the task Python sent to its quorum queue and returns the result', async () => {
    const res = await pythonCall(urls, { name: 'ts.add', args: [2, 3], timeout: 20 }, env);
    expect(res).toMatchObject({ state: 'SUCCESS', result: 5 });
    const declared = (await vhost.list('queues', ['name', 'type', 'arguments'])).find((q) => q.name === queue);
    expect(declared).toEqual({ name: queue, type: 'quorum', arguments: [['x-queue-type', 'longstr', 'quorum']] });
    const consumer = (await vhost.list('consumers', ['queue_name', 'prefetch_count'])).find((c) => c.queue_name === queue);
    expect(Number(consumer?.prefetch_count)).toBeGreaterThan(0); // a per-consumer limit: 0 here would mean a global one
  }, 60_000);

  it('has bound the queue to celery_delayed_delivery, so a Celery 5.5+ client\'s delayed tasks reach it', async () => {
    const bindings = await vhost.list('bindings', ['source_name', 'destination_name', 'routing_key']);
    expect(bindings).toEqual(expect.arrayContaining([
      { source_name: 'celery_delayed_delivery', destination_name: queue, routing_key: `#.${queue}` },
      { source_name: queue, destination_name: queue, routing_key: `#.${queue}` },
    ]));
  }, 30_000);

  it('holds a Python 5.2 countdown (sent straight to the queue) until it is due', async () => {
    const started = Date.now();
    const res = await pythonCall(urls, { name: 'mix.where', args: ['late'], options: { countdown: 3 }, timeout: 20 }, env);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(res).toMatchObject({ state: 'SUCCESS', result: { tag: 'late', by: 'ts', exchange: queue, routing_key: queue } });
  }, 60_000);
});
