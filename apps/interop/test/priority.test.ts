/**
 * Message priorities across languages. Four tasks are published with priorities 9, 0, 5, 3 while no
 * worker runs; then the other side's worker starts with one slot and prefetch 1 and the order the
 * tasks ran in (each appends to a Redis list) must be the broker's priority order:
 * - RabbitMQ, queue declared with `x-max-priority: 10` on both sides: higher first → 9, 5, 3, 0.
 * - Redis, kombu's priority sub-queues (`priority_steps` [0, 3, 6, 9], `queue\x06\x163` ...,
 *   `queue_order_strategy: 'priority'`): a priority goes to the largest step not above it and the
 *   lower step is served first, FIFO inside a step → 0, then 5 and 3 (both in step 3, sent in
 *   that order), then 9.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/celery';
import { AMQP, deleteAmqp, deleteRedisKeys, runSuffix, waitForList } from './brokers.js';
import { pythonSend, startCqWorker, startPythonWorker, stop, type Proc, type Urls } from './helpers.js';

const suffix = runSuffix();
const SENT = [9, 0, 5, 3];
const TRANSPORT_OPTIONS = { queue_order_strategy: 'priority', priority_steps: [0, 3, 6, 9] };

const brokers = [
  { name: 'Redis', urls: (db: number): Urls => ({ broker: `redis://127.0.0.1:6379/${db}`, backend: `redis://127.0.0.1:6379/${db}`, queue: '' }), store: 15, ran: [0, 5, 3, 9], transportOptions: TRANSPORT_OPTIONS },
  { name: 'RabbitMQ', urls: (db: number): Urls => ({ broker: AMQP, backend: `redis://127.0.0.1:6379/${db - 6}`, queue: '' }), store: 9, ran: [9, 5, 3, 0], transportOptions: {} },
];

type B = (typeof brokers)[number];

function setup(b: B, direction: string, db: number) {
  const queue = `interop.prio.${direction}.${b.name.toLowerCase()}.${suffix}`;
  const env = {
    CQ_INTEROP_QUEUES: JSON.stringify([{ name: queue, max_priority: 10 }]),
    CQ_INTEROP_TRANSPORT_OPTIONS: JSON.stringify(b.transportOptions),
    CQ_INTEROP_COUNTER_DB: String(b.store),
  };
  const urls = { ...b.urls(db), queue };
  const cleanup = async () => {
    await deleteRedisKeys(b.store, suffix);
    if (b.name === 'Redis') await deleteRedisKeys(db, suffix);
    else await deleteAmqp([queue], [queue]);
  };
  return { queue, env, urls, notes: `${queue}.notes`, cleanup };
}

describe.each(brokers)('priority: cq client → Python worker ($name)', (b) => {
  const s = setup(b, 'cq2py', 12);
  let worker: Proc | undefined;
  let client: Celery | undefined;
  afterAll(async () => {
    await client?.close();
    await stop(worker);
    await s.cleanup();
  });

  it('a Python worker started later runs the tasks in the broker\'s priority order', async () => {
    client = new Celery('client', {
      task_default_queue: s.queue, task_queues: [{ name: s.queue, maxPriority: 10 }], broker_transport_options: b.transportOptions,
    }).configure({ brokerUrl: s.urls.broker, resultBackend: s.urls.backend });
    for (const p of SENT) await client.sendTask('mix.note', [s.notes, `p${p}`], { queue: s.queue, priority: p });
    worker = await startPythonWorker(s.urls, ['-Q', s.queue, '-c', '1', '--prefetch-multiplier', '1'], s.env);
    const ran = await waitForList(b.store, s.notes, SENT.length);
    expect(ran).toEqual(b.ran.map((p) => `py:p${p}`));
  }, 60_000);
});

describe.each(brokers)('priority: Python client → cq worker ($name)', (b) => {
  const s = setup(b, 'py2cq', 13);
  let worker: Proc | undefined;
  afterAll(async () => {
    await stop(worker);
    await s.cleanup();
  });

  it('a cq worker started later runs the tasks in the broker\'s priority order', async () => {
    await pythonSend(s.urls, SENT.map((p) => ({ name: 'mix.note', args: [s.notes, `p${p}`], options: { queue: s.queue, priority: p } })), s.env);
    worker = await startCqWorker(s.urls, ['-Q', s.queue, '-c', '1', '--prefetch-multiplier', '1'], s.env);
    const ran = await waitForList(b.store, s.notes, SENT.length);
    expect(ran).toEqual(b.ran.map((p) => `ts:p${p}`));
  }, 60_000);
});
