/**
 * RedisBackend against a real Redis: the shared conformance suite, then what is Redis-specific (the
 * exact value and command sequence Celery writes, key prefixes, pub/sub waiting). Uses
 * 127.0.0.1:6379 db 11 only; every test uses fresh UUIDs, so nothing is flushed.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendClosedError, BackendRegistry, TimeoutError } from '@cq/backend';
import { describeBackend } from '@cq/backend/testing';
import RedisBackendDefault, { RedisBackend, redisBackend } from '../src/index.js';

const URL = 'redis://127.0.0.1:6379/11';

describeBackend('redis', (o) => new RedisBackend({ url: URL, ...o }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('redis backend on the wire', () => {
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis({ host: '127.0.0.1', port: 6379, db: 11 });
  });
  afterAll(async () => {
    await raw.quit();
  });

  /** Polls until `channel` has `count` subscribers (waitFor subscribes asynchronously). */
  async function untilSubscribers(channel: string, count: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const reply = (await raw.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(reply[1]) === count) return;
      await sleep(10);
    }
    throw new Error(`${channel} never reached ${count} subscribers`);
  }

  it('stores the meta in Celery key order and publishes the same string on the key', async () => {
    const backend = new RedisBackend({ url: URL });
    const taskId = randomUUID();
    const key = `celery-task-meta-${taskId}`;
    const listener = new Redis({ host: '127.0.0.1', port: 6379 });
    const published = new Promise<string>((resolve) => listener.on('message', (_channel: string, message: string) => resolve(message)));
    await listener.subscribe(key);
    await backend.markAsDone(taskId, { n: [1, { x: 'ü' }] }, { group: 'g-1', parentId: 'p-1' });
    const stored = await raw.get(key);
    expect(await published).toBe(stored);
    const meta = JSON.parse(stored!) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id', 'task_id']);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: { n: [1, { x: 'ü' }] }, traceback: null, children: [], group_id: 'g-1', parent_id: 'p-1', task_id: taskId });
    expect(meta.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    const ttl = await raw.ttl(key);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
    await listener.quit();
    await backend.close();
  });

  it('reads, then writes with the expiry and PUBLISHes, in one script (Celery: GET, then MULTI/SETEX/PUBLISH/EXEC)', async () => {
    const name = `cq-test-${randomUUID().slice(0, 8)}`;
    const backend = new RedisBackend({ url: URL, expires: 600, redis: { connectionName: name } });
    await backend.getState(randomUUID()); // connect, so the client shows in CLIENT LIST
    const line = ((await raw.client('LIST')) as string).split('\n').find((l) => l.includes(`name=${name} `));
    const addr = /\baddr=(\S+)/.exec(line ?? '')?.[1];
    expect(addr).toBeDefined();
    const monitor = await raw.monitor();
    try {
      const taskId = randomUUID();
      const key = `celery-task-meta-${taskId}`;
      const sent: string[][] = [];
      const scripted: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === addr) sent.push(args);
        // scripts of other clients show as `lua` too: keep the ones on this key
        else if (source === 'lua' && args[1] === key) scripted.push([args[0]!.toLowerCase(), ...args.slice(1)]);
      });
      await sleep(50);
      await backend.markAsFailure(taskId, new ValueErrorLike('bad'));
      const value = await raw.get(key);
      for (let i = 0; i < 100 && scripted.length < 3; i++) await sleep(10);
      expect(sent.every((args) => ['evalsha', 'eval'].includes(args[0]!.toLowerCase()))).toBe(true);
      expect(scripted).toEqual([['get', key], ['psetex', key, '600000', value], ['publish', key, value]]);
      expect(await raw.ttl(key)).toBeGreaterThan(590);
    } finally {
      monitor.disconnect();
      await backend.close();
    }
  });

  it('stores the metas of one event-loop turn with one script call, each as Celery would (SUCCESS first in a batch is kept)', async () => {
    const name = `cq-test-${randomUUID().slice(0, 8)}`;
    const backend = new RedisBackend({ url: URL, expires: 600, redis: { connectionName: name } });
    const ids = Array.from({ length: 50 }, () => randomUUID());
    const warmUp = randomUUID();
    await backend.markAsDone(warmUp, null); // connects, and loads the script (a first EVALSHA answers NOSCRIPT)
    const line = ((await raw.client('LIST')) as string).split('\n').find((l) => l.includes(`name=${name} `));
    const addr = /\baddr=(\S+)/.exec(line ?? '')?.[1];
    expect(addr).toBeDefined();
    const monitor = await raw.monitor();
    try {
      const sent: string[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === addr) sent.push(args[0]!.toLowerCase());
      });
      await sleep(50);
      // One turn: 50 SUCCESS writes, then a FAILURE over the first one, which the batch must skip.
      const writes = ids.map((id, i) => backend.markAsDone(id, i));
      const late = backend.markAsFailure(ids[0]!, new Error('late'));
      expect(await Promise.all(writes)).toEqual(ids.map(() => true));
      expect(await late).toBe(false);
      for (let i = 0; i < 100 && sent.length < 1; i++) await sleep(10);
      await sleep(50);
      expect(sent.filter((c) => c === 'evalsha' || c === 'eval')).toHaveLength(1);
      const metas = await backend.getManyTaskMeta(ids);
      expect(metas.map((m) => [m.status, m.result])).toEqual(ids.map((_, i) => ['SUCCESS', i]));
      expect(await raw.ttl(`celery-task-meta-${ids[1]!}`)).toBeGreaterThan(590);
    } finally {
      monitor.disconnect();
      await raw.del(...[warmUp, ...ids].map((id) => `celery-task-meta-${id}`));
      await backend.close();
    }
  });

  it('uses SET without expiry when expires is null, and skips a write over SUCCESS', async () => {
    const backend = new RedisBackend({ url: URL, expires: null });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 1);
    expect(await raw.ttl(`celery-task-meta-${taskId}`)).toBe(-1);
    expect(await backend.markAsFailure(taskId, new Error('late'))).toBe(false);
    expect(JSON.parse((await raw.get(`celery-task-meta-${taskId}`))!)).toMatchObject({ status: 'SUCCESS', result: 1 });
    await raw.del(`celery-task-meta-${taskId}`);
    await backend.close();
  });

  it('puts global_keyprefix in front of task and group keys', async () => {
    const backend = RedisBackend.fromUrl(URL, { transportOptions: { global_keyprefix: 'myapp' } });
    const [taskId, groupId] = [randomUUID(), randomUUID()];
    await backend.markAsDone(taskId, 'x');
    await backend.saveGroup(groupId, [[groupId, null], []]);
    expect(JSON.parse((await raw.get(`myapp_celery-task-meta-${taskId}`))!)).toMatchObject({ result: 'x' });
    expect(await raw.get(`myapp_celery-taskset-meta-${groupId}`)).toBe(`{"result":[["${groupId}",null],[]]}`);
    expect(await raw.exists(`celery-task-meta-${taskId}`)).toBe(0);
    await backend.close();
  });

  it('waitFor listens on pub/sub only: a SET without PUBLISH is not seen, the PUBLISH is', async () => {
    const backend = new RedisBackend({ url: URL });
    const taskId = randomUUID();
    const key = `celery-task-meta-${taskId}`;
    const value = JSON.stringify({ status: 'SUCCESS', result: 7, traceback: null, children: [], date_done: '2026-11-22T05:55:20.378644', task_id: taskId });
    const first = backend.waitFor(taskId, { timeout: 0.6 }).catch((err: unknown) => err);
    await untilSubscribers(key, 1);
    // The waiter GETs right after subscribing; let that read pass so the SET below comes after it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await raw.set(key, value);
    expect(await first).toBeInstanceOf(TimeoutError);
    await raw.del(key);
    const second = backend.waitFor(taskId, { timeout: 10 });
    await untilSubscribers(key, 1);
    await raw.set(key, value);
    await raw.publish(key, value);
    expect(await second).toMatchObject({ status: 'SUCCESS', result: 7, task_id: taskId });
    await untilSubscribers(key, 0);
    await backend.close();
  });

  it('ignores non-ready states published, and resolves at once when the result is already stored', async () => {
    const backend = new RedisBackend({ url: URL });
    const writer = new RedisBackend({ url: URL });
    const taskId = randomUUID();
    const waiting = backend.waitFor(taskId, { timeout: 10 });
    await untilSubscribers(`celery-task-meta-${taskId}`, 1);
    await writer.markAsStarted(taskId, { pid: 1, hostname: 'w' });
    await writer.markAsRetry(taskId, new Error('again'));
    await writer.markAsFailure(taskId, new Error('boom'));
    expect(await waiting).toMatchObject({ status: 'FAILURE', result: { exc_type: 'Exception', exc_message: ['boom'] } });
    expect((await backend.waitFor(taskId, { timeout: 1 })).status).toBe('FAILURE');
    await Promise.all([backend.close(), writer.close()]);
  });

  it('shares one subscriber connection between all waiters and unsubscribes when done', async () => {
    const name = `cq-test-${randomUUID().slice(0, 8)}`;
    const backend = new RedisBackend({ url: URL, redis: { connectionName: name } });
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const waits = [...ids, ids[0]!].map((id) => backend.waitFor(id, { timeout: 10 }));
    await untilSubscribers(`celery-task-meta-${ids[0]}`, 1);
    await untilSubscribers(`celery-task-meta-${ids[2]}`, 1);
    const clients = ((await raw.client('LIST')) as string).split('\n').filter((line) => line.includes(`name=${name} `));
    expect(clients).toHaveLength(2); // the command connection and one subscriber
    for (const id of ids) await backend.markAsDone(id, id);
    expect((await Promise.all(waits)).map((meta) => meta.result)).toEqual([...ids, ids[0]]);
    for (const id of ids) await untilSubscribers(`celery-task-meta-${id}`, 0);
    await backend.close();
  });

  it('re-reads the key after the subscriber connection was dropped (a PUBLISH may have been missed)', async () => {
    const name = `cq-test-${randomUUID().slice(0, 8)}`;
    const backend = new RedisBackend({ url: URL, redis: { connectionName: name } });
    const taskId = randomUUID();
    const key = `celery-task-meta-${taskId}`;
    let settled = false;
    const waiting = backend.waitFor(taskId, { timeout: 20 }).finally(() => (settled = true));
    await untilSubscribers(key, 1);
    await sleep(100);
    await raw.set(key, JSON.stringify({ status: 'SUCCESS', result: 'missed', traceback: null, children: [], date_done: null, task_id: taskId }), 'EX', 600);
    await sleep(100);
    expect(settled).toBe(false); // stored without PUBLISH: not seen yet
    const subscriberLine = ((await raw.client('LIST')) as string).split('\n').find((line) => line.includes(`name=${name} `) && / sub=[1-9]/.test(line));
    const clientId = /\bid=(\d+)/.exec(subscriberLine ?? '')?.[1];
    expect(clientId).toBeDefined();
    await raw.client('KILL', 'ID', clientId!);
    expect(await waiting).toMatchObject({ status: 'SUCCESS', result: 'missed' });
    await backend.close();
  });

  it('close() rejects pending waits and closes both connections', async () => {
    const name = `cq-test-${randomUUID().slice(0, 8)}`;
    const backend = new RedisBackend({ url: URL, redis: { connectionName: name } });
    const taskId = randomUUID();
    const waiting = backend.waitFor(taskId).catch((err: unknown) => err);
    await untilSubscribers(`celery-task-meta-${taskId}`, 1);
    await backend.close();
    expect(await waiting).toBeInstanceOf(BackendClosedError);
    await untilSubscribers(`celery-task-meta-${taskId}`, 0);
    for (let i = 0; i < 100; i++) {
      if (!((await raw.client('LIST')) as string).includes(`name=${name} `)) break;
      await sleep(10);
    }
    expect((await raw.client('LIST')) as string).not.toContain(`name=${name} `);
  });

  it('closes cleanly without ever connecting', async () => {
    const backend = new RedisBackend({ url: URL });
    await backend.close();
    expect(backend.closed).toBe(true);
  });

  it('is created through the registry its plugin fills', async () => {
    expect(RedisBackendDefault).toBe(RedisBackend);
    const registry = new BackendRegistry();
    redisBackend().install({ backends: registry });
    const backend = await registry.create(URL, { expires: 60 });
    expect(backend).toBeInstanceOf(RedisBackend);
    expect((backend as RedisBackend).redisOptions).toMatchObject({ host: '127.0.0.1', port: 6379, db: 11 });
    expect(backend.expires).toBe(60);
    await backend.close();
  });
});

/** An Error subclass named like Python's ValueError, to see its name land in the stored dict. */
class ValueErrorLike extends Error {
  override name = 'ValueError';
}
