/**
 * Two-way interop with real Python Celery (Debian's 5.2.6, kombu 5.2.4's SQS transport on botocore
 * 1.29 and pycurl) over SQS, on a private emulator (`startSqsEmulator`: fauxqs behind a front that
 * serves kombu's query protocol and the AWS SDK's JSON protocol on one port), results in Redis:
 * cq client → Python worker and Python client → cq worker on one standard queue (args, kwargs, an
 * error, a countdown), both workers sharing it, and a FIFO queue (`.fifo`) keeping order both ways.
 * kombu 5.2 has no endpoint option: its endpoint is the broker URL's host:port, over http with
 * `is_secure: False`; both sides get the same `broker_transport_options`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, fullStack } from '@cq/celery';
import { requirePython, startSqsEmulator, type SqsEmulator } from '@cq/tooling/testing';
import { sqsTransport } from '@cq/transport-sqs';
import { waitForList } from './brokers.js';
import { pythonCall, pythonSend, startCqWorker, startPythonWorker, startTogether, stop, type Urls } from './helpers.js';

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const here = path.dirname(fileURLToPath(import.meta.url));
const TRANSPORT_OPTIONS = { is_secure: false, region: 'us-east-1' };
/** Redis db of the results and of the side-effect lists (keys carry `suffix`; nothing is flushed). */
const DB = 11;
const env = { CQ_INTEROP_TRANSPORT_OPTIONS: JSON.stringify(TRANSPORT_OPTIONS), CQ_INTEROP_COUNTER_DB: String(DB) };
const nested = { uni: 'héllo wörld ✓ 日本 🎉', list: [1, [2, [3]]], none: null, flag: true, f: 1.5 };

let sqs: SqsEmulator;
const clients: Celery[] = [];
beforeAll(async () => {
  requirePython(['celery', 'boto3', 'pycurl', 'redis']); // kombu 5.2's SQS transport: boto3, and pycurl for the worker
  sqs = await startSqsEmulator();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sqs?.stop();
});

function urls(queue: string): Urls {
  return { broker: `sqs://interop:secret@127.0.0.1:${sqs.port}`, backend: `redis://127.0.0.1:6379/${DB}`, queue, app: path.resolve(here, '../ts/sqs-app.ts') };
}

/** A cq client on the SQS transport whose default queue is `u.queue`. */
function client(u: Urls): Celery {
  const app = new Celery('client', { task_default_queue: u.queue, broker_transport_options: TRANSPORT_OPTIONS }, { plugins: [...fullStack(), sqsTransport()] })
    .configure({ brokerUrl: u.broker, resultBackend: u.backend });
  clients.push(app);
  return app;
}

/** The attributes of the SQS queue `name` on the emulator (JSON protocol). */
async function queueAttributes(name: string): Promise<Record<string, string>> {
  const call = async (action: string, input: object) => {
    const res = await fetch(sqs.endpoint, { method: 'POST', body: JSON.stringify(input), headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` } });
    return (await res.json()) as Record<string, unknown>;
  };
  const { QueueUrl } = await call('GetQueueUrl', { QueueName: name });
  return (await call('GetQueueAttributes', { QueueUrl, AttributeNames: ['All'] })).Attributes as Record<string, string>;
}

describe('a standard SQS queue', () => {
  const queue = `interop.sqs.${suffix}`;

  it('cq client → Python worker: args, kwargs, a ValueError and a countdown', async () => {
    const u = urls(queue);
    const worker = await startPythonWorker(u, [], env);
    try {
      const app = client(u);
      expect(await (await app.sendTask('py.add', [2, 3])).get({ timeout: 20 })).toBe(5);
      const echoed = await app.sendTask('py.echo', ['x', nested], { kwargs: { k: nested, n: null } });
      expect(await echoed.get({ timeout: 20 })).toEqual({ args: ['x', nested], kwargs: { k: nested, n: null } });
      const failed = await app.sendTask('py.fail', ['from python']);
      await expect(failed.get({ timeout: 20 })).rejects.toMatchObject({ name: 'ValueError', message: expect.stringContaining('from python') });
      const sent = Date.now();
      expect(await (await app.sendTask('py.add', [1, 1], { countdown: 2 })).get({ timeout: 20 })).toBe(2);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(1900);
    } finally {
      await stop(worker);
    }
  }, 90_000);

  it('Python client → cq worker: args, kwargs, a ValueError and a countdown', async () => {
    const u = urls(queue);
    const worker = await startCqWorker(u, ['-c', '4'], env);
    try {
      expect(await pythonCall(u, { name: 'ts.add', args: [2, 3] }, env)).toMatchObject({ state: 'SUCCESS', result: 5 });
      const echoed = await pythonCall(u, { name: 'ts.echo', args: ['x', nested], kwargs: { k: nested } }, env);
      expect(echoed).toMatchObject({ state: 'SUCCESS', result: { args: ['x', nested], kwargs: { k: nested } } });
      expect(await pythonCall(u, { name: 'ts.fail', args: ['from cq'] }, env)).toMatchObject({ state: 'FAILURE', error: 'ValueError', message: 'from cq' });
      const sent = Date.now();
      expect(await pythonCall(u, { name: 'ts.add', args: [1, 2], options: { countdown: 2 } }, env)).toMatchObject({ state: 'SUCCESS', result: 3 });
      expect(Date.now() - sent).toBeGreaterThanOrEqual(1900);
    } finally {
      await stop(worker);
    }
  }, 90_000);

  it('a Python worker and a cq worker share the queue: every task runs exactly once', async () => {
    const u = urls(queue);
    const [py, cq] = await startTogether(startPythonWorker(u, [], env), startCqWorker(u, ['-c', '4', '--prefetch-multiplier', '1'], env));
    try {
      const key = `sqs:shared:${suffix}`;
      const app = client(u);
      const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => app.sendTask<{ value: string; by: string }>('mix.note', [key, String(i)])));
      const values = await Promise.all(sent.map((r) => r.get({ timeout: 60 })));
      expect(values.map((v) => v.value)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
      const notes = await waitForList(DB, key, 40);
      expect(notes).toHaveLength(40);
      expect(new Set(notes.map((n) => n.split(':')[1])).size).toBe(40);
      expect(values.map((v) => v.by)).toEqual(expect.arrayContaining(['py', 'ts']));
    } finally {
      await Promise.all([stop(py), stop(cq)]);
    }
  }, 120_000);

  it('both sides used the one queue kombu names, created as kombu creates it', async () => {
    // Not asserted: that the queue is empty. After two workers that shared it stop at once, about one
    // run in three leaves one message of the shared test visible (ApproximateReceiveCount 3) whose
    // task had run and returned: a redelivery between the two workers' shutdowns, which SQS's
    // at-least-once delivery allows; where it comes from is still open (see the issue note).
    expect(await queueAttributes(`interop-sqs-${suffix}`)).toMatchObject({ VisibilityTimeout: '1800' });
  });
});

describe('a FIFO SQS queue', () => {
  const queue = `interop.sqs.${suffix}.fifo`;
  const count = 12;
  const numbers = Array.from({ length: count }, (_, i) => String(i));

  // The cq worker comes first here, so cq creates the queue and Python's kombu finds it (looked up, not re-created).
  it('Python client → cq worker: delivered and run in the order sent', async () => {
    const u = urls(queue);
    const worker = await startCqWorker(u, ['-c', '1'], env);
    try {
      const key = `sqs:fifo:ts:${suffix}`;
      await pythonSend(u, numbers.map((n) => ({ name: 'mix.note', args: [key, n] })), env);
      expect(await waitForList(DB, key, count, 60_000)).toEqual(numbers.map((n) => `ts:${n}`));
    } finally {
      await stop(worker);
    }
  }, 120_000);

  it('cq client → Python worker: delivered and run in the order sent', async () => {
    const u = urls(queue);
    const worker = await startPythonWorker(u, [], env);
    try {
      const key = `sqs:fifo:py:${suffix}`;
      const app = client(u);
      const sent = [];
      for (const n of numbers) sent.push(await app.sendTask('mix.note', [key, n]));
      await Promise.all(sent.map((r) => r.get({ timeout: 60 })));
      expect(await waitForList(DB, key, count)).toEqual(numbers.map((n) => `py:${n}`));
    } finally {
      await stop(worker);
    }
  }, 120_000);

  it('both sides used the one FIFO queue kombu names', async () => {
    expect(await queueAttributes(`interop-sqs-${suffix}.fifo`)).toMatchObject({ FifoQueue: 'true', VisibilityTimeout: '1800', ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
