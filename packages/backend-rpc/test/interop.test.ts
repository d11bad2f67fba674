/**
 * Interop with real Python Celery (Debian's `/usr/bin/python3`, celery 5.2) over RabbitMQ: a Python
 * client receives what our worker side sends to its reply queue, and our client receives what
 * Python's `RPCBackend.store_result` sends to ours (after Python re-declares our reply queue with its
 * own arguments, which RabbitMQ refuses if ours differ).
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteTaskError } from '@cq/backend';
import { Connection, type Channel } from '@cq/kombu';
import { transport } from '@cq/transport-amqp';
import { PYTHON, execFileTracked, requirePython, spawnTracked } from '@cq/tooling/testing';
import { RpcBackend } from '../src/index.js';

const BROKER = 'amqp://guest:guest@127.0.0.1:5672//';
const broker = (): Connection => new Connection(BROKER, { transport });
beforeAll(() => { requirePython(['celery', 'kombu', 'amqp']); });
const PRELUDE = `
import json, sys
from celery import Celery
from celery.app.task import Context
app = Celery(broker='${BROKER}', backend='rpc://')
`;

/** Python sends two tasks to a queue nobody consumes, prints its oid and the ids, then waits for both results. */
const PYTHON_CLIENT = `${PRELUDE}
r1 = app.send_task('cq.interop.never_run', queue=sys.argv[1])
r2 = app.send_task('cq.interop.never_run', queue=sys.argv[1])
print(json.dumps({'oid': app.backend.oid, 'ids': [r1.id, r2.id]}), flush=True)
value = r1.get(timeout=20)
error = r2.get(timeout=20, propagate=False)
print(json.dumps([r1.state, value, r2.state, type(error).__name__, str(error), r2.traceback]), flush=True)
`;

/** Python acts as the worker: re-declares our reply queue as Celery would, then sends SUCCESS and FAILURE to it. */
const PYTHON_WORKER = `${PRELUDE}
oid, ok_id, fail_id = sys.argv[1:4]
app.backend.__dict__['oid'] = oid
with app.connection_for_write() as conn:
    app.backend.binding(conn.default_channel).declare()
app.backend.store_result(ok_id, {'answer': 42, 'list': [1, 'two']}, 'SUCCESS', request=Context(reply_to=oid, correlation_id=ok_id))
app.backend.store_result(fail_id, ValueError('py boom'), 'FAILURE', traceback='Traceback: py', request=Context(reply_to=oid, correlation_id=fail_id))
print('sent', flush=True)
`;

describe('rpc:// interop with Python Celery on RabbitMQ', () => {
  let worker: RpcBackend;
  let raw: Connection;
  let channel: Channel;
  beforeAll(async () => {
    worker = new RpcBackend({ brokerConnection: broker });
    raw = new Connection(BROKER, { transport });
    channel = await raw.channel();
  });
  afterAll(async () => {
    await worker.close();
    await raw.close();
  });

  it('a Python client receives the SUCCESS and FAILURE our worker side sends to its reply_to', async () => {
    const taskQueue = `cq-test-rpc-interop-${randomUUID()}`;
    const child = spawnTracked(PYTHON, ['-c', PYTHON_CLIENT, taskQueue], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      const first = await lines.next();
      if (first.done) throw new Error(`python exited early: ${stderr}`);
      const { oid, ids } = JSON.parse(first.value) as { oid: string; ids: [string, string] };
      const [okId, failId] = ids;

      // The task message Python sent carries its oid as reply_to: that is where the worker answers.
      const sent = await channel.get(taskQueue, { noAck: true });
      expect(sent?.properties).toMatchObject({ reply_to: oid, correlation_id: okId });

      await worker.markAsDone(okId, { sum: 5, items: ['a', null] }, { replyTo: oid, correlationId: okId });
      await worker.markAsFailure(failId, new TypeError('bad arg'), 'Traceback: ts', { replyTo: oid, correlationId: failId });

      const second = await lines.next();
      if (second.done) throw new Error(`python exited early: ${stderr}`);
      expect(JSON.parse(second.value)).toEqual(['SUCCESS', { sum: 5, items: ['a', null] }, 'FAILURE', 'TypeError', 'bad arg', 'Traceback: ts']);
      expect(await exited).toBe(0);
    } finally {
      child.kill();
      await channel.deleteQueue(taskQueue).catch(() => undefined);
      await channel.deleteExchange(taskQueue).catch(() => undefined);
    }
  }, 40_000);

  it('our client receives what Python\'s rpc backend sends, after Python re-declares our reply queue', async () => {
    const client = new RpcBackend({ brokerConnection: broker, oid: `cq-test-rpc-${randomUUID()}` });
    try {
      await client.onTaskCall();
      const [okId, failId] = [randomUUID(), randomUUID()];
      const out = await new Promise<string>((resolve, reject) => {
        execFileTracked(PYTHON, ['-c', PYTHON_WORKER, client.oid, okId, failId], { timeout: 30_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`python failed: ${stderr}`, { cause: err }));
          else resolve(stdout.trim());
        });
      });
      expect(out).toBe('sent');
      expect(await client.waitFor(okId, { timeout: 10 })).toMatchObject({
        status: 'SUCCESS', result: { answer: 42, list: [1, 'two'] }, traceback: null, children: [], task_id: okId,
      });
      await client.waitFor(failId, { timeout: 10 });
      const error = await client.getResult(failId);
      expect(error).toBeInstanceOf(RemoteTaskError);
      expect(error).toMatchObject({ excType: 'ValueError', excModule: 'builtins', excMessage: ['py boom'], traceback: 'Traceback: py' });
    } finally {
      await client.close();
    }
  }, 40_000);
});
