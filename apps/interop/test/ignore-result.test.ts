/**
 * ignore_result across languages: the sending side asks for it (per call, and as a task option of
 * the sender's own task definition; the receiving worker's task does not set it), the other side
 * runs the task (it appends to a Redis list) and stores nothing: no `celery-task-meta-<id>` key with
 * the Redis backend, no reply in the reply queue with rpc://. A third, ordinary call sent last is
 * the control: its result does arrive. The worker runs one task at a time, so once the control's
 * result is there the ignored tasks are finished too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/celery';
import { AMQP, deleteAmqp, deleteRedisKeys, drainAmqp, resultKeysExist, runSuffix, waitFor, waitForList, withAmqp } from './brokers.js';
import { pythonSend, startCqWorker, startPythonWorker, stop, type Proc, type Urls } from './helpers.js';

const suffix = runSuffix();

interface Setup { name: string; urls(db: number): Urls; store: number; resultDb(db: number): number | null }
const setups: Setup[] = [
  { name: 'Redis', urls: (db) => ({ broker: `redis://127.0.0.1:6379/${db}`, backend: `redis://127.0.0.1:6379/${db}`, queue: '' }), store: 15, resultDb: (db) => db },
  { name: 'RabbitMQ', urls: (db) => ({ broker: AMQP, backend: `redis://127.0.0.1:6379/${db - 6}`, queue: '' }), store: 9, resultDb: (db) => db - 6 },
  { name: 'RabbitMQ + rpc://', urls: () => ({ broker: AMQP, backend: 'rpc://', queue: '' }), store: 8, resultDb: () => null },
];

function names(setup: Setup, direction: string) {
  const tag = `${direction}.${setup.name.replace(/[^a-z]+/gi, '').toLowerCase()}.${suffix}`;
  return { queue: `interop.ign.${tag}`, replies: `interop.ign.replies.${tag}`, notes: `interop.ign.notes.${tag}` };
}

/** Waits for the control's result and checks that only the control left one. */
async function expectOnlyControlStored(setup: Setup, db: number, replies: string, ids: { call: string; task: string; control: string }): Promise<void> {
  const resultDb = setup.resultDb(db);
  if (resultDb !== null) {
    await waitFor(async () => ((await resultKeysExist(resultDb, [ids.control]))[0] ? true : undefined), 20_000, 'the control result');
    expect(await resultKeysExist(resultDb, [ids.call, ids.task, ids.control])).toEqual([false, false, true]);
  } else {
    const got: string[] = [];
    await waitFor(async () => {
      for (const m of await drainAmqp(replies)) got.push(String(m.properties.correlationId));
      return got.includes(ids.control) ? true : undefined;
    }, 20_000, 'the control reply');
    expect(got).toEqual([ids.control]);
  }
}

async function cleanup(setup: Setup, db: number, n: ReturnType<typeof names>, ids: string[]): Promise<void> {
  await deleteRedisKeys(setup.store, suffix);
  const resultDb = setup.resultDb(db);
  if (resultDb !== null) await deleteRedisKeys(resultDb, suffix, ids.map((id) => `celery-task-meta-${id}`));
  if (setup.name !== 'Redis') await deleteAmqp([n.queue, n.replies], [n.queue]);
}

describe.each(setups)('ignore_result: cq client → Python worker ($name)', (setup) => {
  const n = names(setup, 'cq2py');
  const urls = { ...setup.urls(12), queue: n.queue };
  const rpc = urls.backend === 'rpc://';
  let worker: Proc | undefined;
  let client: Celery;
  let optClient: Celery;
  const ids: string[] = [];
  beforeAll(async () => {
    if (rpc) await withAmqp(async (ch) => ch.assertQueue(n.replies, { durable: false, autoDelete: false }));
    worker = await startPythonWorker(urls, [], { CQ_INTEROP_COUNTER_DB: String(setup.store) });
    const make = () => new Celery('client', { task_default_queue: n.queue }).configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
    client = make();
    optClient = make();
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await optClient?.close();
    await stop(worker);
    await cleanup(setup, 12, n, ids);
  });

  it('runs the task on Python and stores no result, per call and as a task option', async () => {
    const replyTo = rpc ? { replyTo: n.replies } : {};
    // The sender's definition of mix.note carries ignore_result; the Python worker's does not.
    const quiet = optClient.task('mix.note', (_key: string, _value: string) => null, { ignoreResult: true });
    const call = await client.sendTask('mix.note', [n.notes, 'call'], { ignoreResult: true, ...replyTo });
    const task = await quiet.applyAsync([n.notes, 'task'], replyTo);
    const control = await client.sendTask('mix.note', [n.notes, 'control'], replyTo);
    ids.push(call.id, task.id, control.id);
    expect(await waitForList(setup.store, n.notes, 3)).toEqual(['py:call', 'py:task', 'py:control']);
    await expectOnlyControlStored(setup, 12, n.replies, { call: call.id, task: task.id, control: control.id });
  });
});

describe.each(setups)('ignore_result: Python client → cq worker ($name)', (setup) => {
  const n = names(setup, 'py2cq');
  const urls = { ...setup.urls(13), queue: n.queue };
  const rpc = urls.backend === 'rpc://';
  const env = { CQ_INTEROP_COUNTER_DB: String(setup.store) };
  let worker: Proc | undefined;
  const ids: string[] = [];
  beforeAll(async () => {
    if (rpc) await withAmqp(async (ch) => ch.assertQueue(n.replies, { durable: false, autoDelete: false }));
    worker = await startCqWorker(urls, ['-c', '1'], env);
  }, 60_000);
  afterAll(async () => {
    await stop(worker);
    await cleanup(setup, 13, n, ids);
  });

  it('runs the task on cq and stores no result, per call and as a task option', async () => {
    const options = rpc ? { reply_to: n.replies } : {};
    const [call, task, control] = await pythonSend(urls, [
      { name: 'mix.note', args: [n.notes, 'call'], options: { ...options, ignore_result: true } },
      // apply_async of the client's registered task with ignore_result = True set on it.
      { name: 'mix.note', args: [n.notes, 'task'], options, task_options: { ignore_result: true } },
      { name: 'mix.note', args: [n.notes, 'control'], options },
    ], env) as [string, string, string];
    ids.push(call, task, control);
    expect(await waitForList(setup.store, n.notes, 3)).toEqual(['ts:call', 'ts:task', 'ts:control']);
    await expectOnlyControlStored(setup, 13, n.replies, { call, task, control });
  });
});
