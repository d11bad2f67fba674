/**
 * rpc:// on RabbitMQ (127.0.0.1:5672, guest/guest, vhost `/`): a worker-side backend publishes to
 * the reply queue of a client-side backend. Every test uses its own reply queue (auto-deleted when
 * its consumer goes away) and fresh task ids.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendClosedError, BackendConfigurationError, RemoteTaskError, TimeoutError, BackendRegistry, type TaskRequest,
} from '@cq/backend';
import { Connection, type Channel, type Delivery } from '@cq/kombu';
import { transport } from '@cq/transport-amqp';
import RpcBackendDefault, { RpcBackend, RpcNotImplementedError, rpcBackend } from '../src/index.js';

const BROKER = 'amqp://guest:guest@127.0.0.1:5672//';
const broker = (): Connection => new Connection(BROKER, { transport });

/** The request a worker holds for a task sent by `client` (the fields the rpc backend reads). */
const requestFor = (client: RpcBackend, taskId: string): TaskRequest => ({ replyTo: client.oid, correlationId: taskId });

describe('rpc:// result backend on RabbitMQ', () => {
  const open: RpcBackend[] = [];
  let worker: RpcBackend;
  let raw: Connection;
  let channel: Channel;
  const make = (options: ConstructorParameters<typeof RpcBackend>[0] = {}): RpcBackend => {
    const backend = new RpcBackend({ brokerConnection: broker, oid: `cq-test-rpc-${randomUUID()}`, ...options });
    open.push(backend);
    return backend;
  };

  beforeAll(async () => {
    worker = new RpcBackend({ brokerConnection: broker });
    raw = new Connection(BROKER, { transport });
    channel = await raw.channel();
  });
  afterEach(async () => {
    for (const backend of open.splice(0)) await backend.close();
  });
  afterAll(async () => {
    await worker.close();
    await raw.close();
  });

  it('delivers SUCCESS from a worker to the client that sent the task', async () => {
    const client = make();
    await client.onTaskCall();
    const taskId = randomUUID();
    const result = { list: [1, 2.5, 'three', null, true], nested: { deep: ['ü', -1] } };
    expect(await worker.markAsDone(taskId, result, requestFor(client, taskId))).toBe(true);
    const meta = await client.waitFor(taskId, { timeout: 10 });
    expect(meta).toMatchObject({ status: 'SUCCESS', result, traceback: null, children: [], task_id: taskId });
    expect(await client.getTaskMeta(taskId)).toMatchObject({ status: 'SUCCESS', result });
    expect(await client.getResult(taskId)).toEqual(result);
  });

  it('round-trips a FAILURE with its exception info and traceback', async () => {
    const client = make();
    await client.onTaskCall();
    const taskId = randomUUID();
    await worker.markAsFailure(taskId, new TypeError('bad arg'), 'Traceback (most recent call last): ...', requestFor(client, taskId));
    const meta = await client.waitFor(taskId, { timeout: 10 });
    expect(meta.status).toBe('FAILURE');
    expect(meta.result).toEqual({ exc_type: 'TypeError', exc_message: ['bad arg'], exc_module: 'builtins' });
    const error = await client.getResult(taskId);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({ excType: 'TypeError', excMessage: ['bad arg'], traceback: 'Traceback (most recent call last): ...' });
  });

  it('buffers replies for other task ids and keeps only the latest state per id', async () => {
    const client = make();
    await client.onTaskCall();
    const [first, other] = [randomUUID(), randomUUID()];
    await worker.markAsStarted(other, { pid: 1, hostname: 'w@h' }, requestFor(client, other));
    await worker.markAsDone(other, 'other result', requestFor(client, other));
    await worker.markAsStarted(first, { pid: 2 }, requestFor(client, first));
    await worker.markAsDone(first, 7, requestFor(client, first));
    expect((await client.waitFor(first, { timeout: 10 })).result).toBe(7);
    // Replies arrive in order on one queue, so `other` is already buffered.
    expect(await client.getTaskMeta(other)).toMatchObject({ status: 'SUCCESS', result: 'other result', task_id: other });
    await client.forget(other);
    expect(await client.getTaskMeta(other)).toMatchObject({ status: 'PENDING', result: null });
  });

  it('does not let a later state replace a received SUCCESS, and STARTED is not ready', async () => {
    const client = make();
    await client.onTaskCall();
    const taskId = randomUUID();
    await worker.markAsStarted(taskId, { pid: 3 }, requestFor(client, taskId));
    await expect(client.waitFor(taskId, { timeout: 0.3 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await client.getTaskMeta(taskId)).toMatchObject({ status: 'STARTED', result: { pid: 3 } });
    await worker.markAsDone(taskId, 'done', requestFor(client, taskId));
    await worker.markAsRetry(taskId, new Error('late'), null, requestFor(client, taskId));
    const marker = randomUUID();
    await worker.markAsDone(marker, null, requestFor(client, marker));
    await client.waitFor(marker, { timeout: 10 }); // the RETRY came before this one
    expect(await client.getTaskMeta(taskId)).toMatchObject({ status: 'SUCCESS', result: 'done' });
  });

  it('publishes Celery\'s reply message: default exchange, correlation id, transient, ≤ 5.6 body', async () => {
    const queue = `cq-test-rpc-raw-${randomUUID()}`;
    await channel.declareQueue({ name: queue, durable: false, exclusive: false, autoDelete: false, arguments: {} });
    try {
      const taskId = randomUUID();
      const request = { replyTo: queue, correlationId: `corr-${taskId}` } as TaskRequest;
      await worker.markAsDone(taskId, { n: 9 }, request);
      let delivery: Delivery | null = null;
      for (let i = 0; i < 100 && !delivery; i++) {
        delivery = await channel.get(queue, { noAck: true });
        if (!delivery) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(delivery).not.toBeNull();
      expect(delivery!.contentType).toBe('application/json');
      expect(delivery!.properties).toMatchObject({ correlation_id: `corr-${taskId}`, delivery_mode: 1 });
      expect(JSON.parse(delivery!.body.toString('utf8'))).toEqual({
        task_id: taskId, status: 'SUCCESS', result: { n: 9 }, traceback: null, children: [],
      });
    } finally {
      await channel.deleteQueue(queue);
    }
  });

  it('sends nothing for a request without reply_to', async () => {
    expect(await worker.markAsDone(randomUUID(), 1, {})).toBe(false);
    expect(await worker.markAsDone(randomUUID(), 1)).toBe(false);
  });

  it('reads an unknown task as PENDING', async () => {
    const client = make();
    const taskId = randomUUID();
    expect(await client.getTaskMeta(taskId)).toEqual({
      status: 'PENDING', result: null, traceback: null, children: [], date_done: null, task_id: taskId,
    });
  });

  it('refuses groups and chords with RpcNotImplementedError', async () => {
    const client = make();
    const error = await client.saveGroup(randomUUID(), [[randomUUID(), null], []]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RpcNotImplementedError);
    expect(error).toMatchObject({ code: 'CQ_BACKEND_RPC_NOT_IMPLEMENTED', operation: 'saveGroup' });
    await expect(client.restoreGroup(randomUUID())).rejects.toBeInstanceOf(RpcNotImplementedError);
    await expect(client.deleteGroup(randomUUID())).rejects.toBeInstanceOf(RpcNotImplementedError);
    expect(() => client.ensureChordsAllowed()).toThrow(/NotImplemented/);
  });

  it('fails fast without a broker connection, naming the fix', () => {
    expect(() => RpcBackend.fromUrl('rpc://')).toThrow(BackendConfigurationError);
    expect(() => RpcBackend.fromUrl('rpc://')).toThrow(/create it through the app \(app\.backend\(\)\)/);
  });

  it('is what its plugin registers for rpc://, with the broker from options', async () => {
    expect(RpcBackendDefault).toBe(RpcBackend);
    const registry = new BackendRegistry();
    rpcBackend().install({ backends: registry });
    const backend = await registry.create('rpc://', { brokerConnection: broker, oid: 'cq-test-oid' });
    try {
      expect(backend).toBeInstanceOf(RpcBackend);
      expect((backend as RpcBackend).oid).toBe('cq-test-oid');
      expect(backend.url).toBe('rpc://');
    } finally {
      await backend.close();
    }
  });

  it('refuses to work after close', async () => {
    const client = make();
    await client.close();
    await expect(client.getTaskMeta(randomUUID())).rejects.toBeInstanceOf(BackendClosedError);
    await expect(client.onTaskCall()).rejects.toBeInstanceOf(BackendClosedError);
  });
});
