/**
 * Two-way interop with real Python Celery (Debian), on Redis (broker and results) and on RabbitMQ
 * (broker; results in Redis): cq client → Python worker, Python client → cq worker, and both workers
 * on one queue. Each block uses its own queue and Redis database, so runs never see each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Celery } from '@cq/celery';
import { deleteAmqp, deleteRedisKeys } from './brokers.js';
import { pythonCall, startCqWorker, startPythonWorker, startTogether, stop, type Proc, type Urls } from './helpers.js';

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
interface Setup { name: string; urls(db: number): Urls }
const setups: Setup[] = [
  { name: 'Redis', urls: (db) => ({ broker: `redis://127.0.0.1:6379/${db}`, backend: `redis://127.0.0.1:6379/${db}`, queue: `interop.${suffix}` }) },
  { name: 'RabbitMQ', urls: (db) => ({ broker: AMQP, backend: `redis://127.0.0.1:6379/${db - 6}`, queue: `interop.${db}.${suffix}` }) },
  { name: 'RabbitMQ + rpc://', urls: (db) => ({ broker: AMQP, backend: 'rpc://', queue: `interop.rpc.${db}.${suffix}` }) },
];
const nested = { uni: 'héllo wörld ✓ 日本 🎉', list: [1, [2, [3]]], none: null, flag: true, big: 12345678901234567890n, f: 1.5 };

/** Empties the Redis database of a result backend URL; rpc:// has nothing to flush. */
async function flushBackend(urls: Urls): Promise<void> {
  if (urls.backend.startsWith('redis://')) await flush(Number(urls.backend.split('/').pop()));
}

/** Deletes the block's queue (and its exchange and Redis binding key) from the broker. */
async function deleteQueue(urls: Urls): Promise<void> {
  if (urls.broker.startsWith('redis://')) await deleteRedisKeys(Number(urls.broker.split('/').pop()), suffix);
  else await deleteAmqp([urls.queue], [urls.queue]);
}

async function flush(db: number): Promise<void> {
  const r = new Redis({ host: '127.0.0.1', port: 6379, db });
  await r.flushdb();
  r.disconnect();
}

describe.each(setups)('cq client → Python worker ($name)', (setup) => {
  const urls = setup.urls(12);
  let worker: Proc | undefined;
  let client: Celery;
  beforeAll(async () => {
    await flushBackend(urls);
    worker = await startPythonWorker(urls);
    client = new Celery('client', { task_default_queue: urls.queue }).configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await stop(worker);
    await deleteQueue(urls);
  });

  it('runs positional args and returns the result', async () => {
    expect(await (await client.sendTask('py.add', [2, 3])).get({ timeout: 20 })).toBe(5);
  });

  it('carries keyword arguments, nested data, unicode, big integers and null both ways', async () => {
    const r = await client.sendTask('py.echo', ['x', nested], { kwargs: { k: nested, n: null } });
    expect(await r.get({ timeout: 20 })).toEqual({ args: ['x', nested], kwargs: { k: nested, n: null } });
  });

  it('brings a Python exception back with its type name and message', async () => {
    const r = await client.sendTask('py.fail', ['from python']);
    await expect(r.get({ timeout: 20 })).rejects.toMatchObject({ name: 'ValueError', message: expect.stringContaining('from python') });
  });

  it.each(['json', 'msgpack', 'yaml'])('sends with the %s serializer', async (serializer) => {
    const r = await client.sendTask('py.echo', [1, 'two'], { kwargs: { s: serializer }, serializer });
    expect(await r.get({ timeout: 20 })).toEqual({ args: [1, 'two'], kwargs: { s: serializer } });
  });

  it.each(['zlib', 'bzip2'])('sends %s-compressed messages', async (compression) => {
    const r = await client.sendTask('py.echo', ['a'.repeat(2000)], { compression });
    expect(await r.get({ timeout: 20 })).toEqual({ args: ['a'.repeat(2000)], kwargs: {} });
  });

  it('understands countdown and expires headers written by cq', async () => {
    const sent = Date.now();
    const later = await client.sendTask('py.add', [1, 1], { countdown: 1 });
    expect(await later.get({ timeout: 20 })).toBe(2);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(900);
    const expired = await client.sendTask('py.add', [1, 1], { expires: new Date(Date.now() - 1000) });
    await expect(expired.get({ timeout: 20 })).rejects.toMatchObject({ name: 'TaskRevokedError' });
  });
});

describe.each(setups)('Python client → cq worker ($name)', (setup) => {
  const urls = setup.urls(13);
  let worker: Proc | undefined;
  beforeAll(async () => {
    await flushBackend(urls);
    worker = await startCqWorker(urls, ['-c', '4']);
  }, 60_000);
  afterAll(async () => {
    await stop(worker);
    await deleteQueue(urls);
  });

  it('runs a task sent by Python and Python reads the result', async () => {
    expect(await pythonCall(urls, { name: 'ts.add', args: [2, 3] })).toMatchObject({ state: 'SUCCESS', result: 5 });
  });

  it('binds Python keyword arguments and returns nested data, unicode and big integers', async () => {
    const res = await pythonCall(urls, { name: 'ts.echo', args: ['x', nested], kwargs: { k: nested } });
    expect(res.state).toBe('SUCCESS');
    expect(res.result).toEqual({ args: ['x', nested], kwargs: { k: nested } });
  });

  it('a cq exception reaches Python with its type name and message', async () => {
    expect(await pythonCall(urls, { name: 'ts.fail', args: ['from cq'] })).toMatchObject({ state: 'FAILURE', error: 'ValueError', message: 'from cq' });
  });

  it.each([['msgpack', null], ['yaml', null], ['json', 'zlib'], ['json', 'bzip2']])('accepts %s / %s from Python', async (serializer, compression) => {
    const res = await pythonCall(urls, { name: 'ts.add', args: [20, 22], options: { serializer, ...(compression ? { compression } : {}) } });
    expect(res).toMatchObject({ state: 'SUCCESS', result: 42 });
  });

  it('honours countdown and expires from Python', async () => {
    const t0 = Date.now();
    expect(await pythonCall(urls, { name: 'ts.add', args: [1, 2], options: { countdown: 1 } })).toMatchObject({ result: 3 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const expired = await pythonCall(urls, { name: 'ts.add', args: [1, 2], options: { expires: 0.001 }, timeout: setup.name === 'Redis' ? 10 : 3 });
    if (setup.name === 'Redis') {
      expect(expired).toMatchObject({ state: 'REVOKED', error: 'TaskRevokedError' });
    } else {
      // Python also sets the AMQP `expiration` (1 ms), so RabbitMQ may drop the message before any
      // worker sees it (no result, as with Python workers); if it arrives, it is REVOKED. Never run.
      expect([['REVOKED', 'TaskRevokedError'], ['PENDING', 'TimeoutError']]).toContainEqual([expired.state, expired.error]);
    }
  });
});

describe.each(setups)('a Python worker and a cq worker on one queue ($name)', (setup) => {
  const urls = setup.urls(15);
  const counterDb = setup.name === 'Redis' ? 15 : setup.name === 'RabbitMQ' ? 9 : 8;
  let py: Proc | undefined;
  let cq: Proc | undefined;
  let client: Celery;
  beforeAll(async () => {
    await flushBackend(urls);
    await flush(counterDb);
    const env = { CQ_INTEROP_COUNTER_DB: String(counterDb) };
    [py, cq] = await startTogether(startPythonWorker(urls, [], env), startCqWorker(urls, ['-c', '4', '--prefetch-multiplier', '1'], env));
    client = new Celery('client', { task_default_queue: urls.queue }).configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await Promise.all([stop(py), stop(cq)]);
    await deleteQueue(urls);
  });

  it('runs every task exactly once, shared between both workers', async () => {
    const n = 200;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => client.sendTask<{ n: number; by: string }>('mix.record', [i])));
    const values = await Promise.all(results.map((r) => r.get({ timeout: 60 })));
    expect(values.map((v) => v.n)).toEqual(Array.from({ length: n }, (_, i) => i));
    const redis = new Redis({ host: '127.0.0.1', port: 6379, db: counterDb });
    const counts = await redis.mget(Array.from({ length: n }, (_, i) => `mix:${i}`));
    const by = await redis.lrange('mix:by', 0, -1);
    redis.disconnect();
    expect(counts.every((c) => c === '1')).toBe(true);
    expect(by.length).toBe(n);
    expect(by).toContain('py');
    expect(by).toContain('ts');
  });
});
