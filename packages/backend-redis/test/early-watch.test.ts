/**
 * Watching a result from the moment its task is sent (`onTaskCall`, Celery's `on_task_call`), on a
 * real Redis (db 11, fresh UUIDs): the subscription is made before `get()`, ends when the result is
 * in, and is bounded in number and time. `PUBSUB NUMSUB` tells what the server sees.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendClosedError } from '@cq/backend';
import { RedisBackend, type RedisBackendOptions } from '../src/index.js';

const URL = 'redis://127.0.0.1:6379/11';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let raw: Redis;
let writer: RedisBackend;
const backends: RedisBackend[] = [];
beforeAll(() => {
  raw = new Redis({ host: '127.0.0.1', port: 6379, db: 11 });
  writer = new RedisBackend({ url: URL });
});
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
});
afterAll(async () => {
  await writer.close();
  await raw.quit();
});

function client(options: RedisBackendOptions = {}): RedisBackend {
  const backend = new RedisBackend({ url: URL, ...options });
  backends.push(backend);
  return backend;
}

const channel = (taskId: string) => `celery-task-meta-${taskId}`;

async function subscribers(taskId: string): Promise<number> {
  const reply = (await raw.pubsub('NUMSUB', channel(taskId))) as [string, number];
  return Number(reply[1]);
}

/** Polls until `taskId`'s channel has `count` subscribers. */
async function untilSubscribers(taskId: string, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await subscribers(taskId)) === count) return;
    await sleep(10);
  }
  throw new Error(`${channel(taskId)} never reached ${count} subscribers`);
}

describe('the result watched from the send (onTaskCall)', () => {
  it('subscribes before get(); the result arriving ends the watch, and get() then reads the stored meta (the last write wins)', async () => {
    const backend = client();
    const taskId = randomUUID();
    await backend.onTaskCall(taskId);
    expect(backend.earlyWatches).toBe(1);
    await untilSubscribers(taskId, 1);

    await writer.markAsFailure(taskId, Object.assign(new Error('first'), { name: 'ValueError' }));
    await untilSubscribers(taskId, 0);
    expect(backend.earlyWatches).toBe(0);
    // Written again (as an afterReturn that throws does): get() returns what is stored now.
    await writer.markAsFailure(taskId, Object.assign(new Error('second'), { name: 'KeyError' }));
    expect(await backend.waitFor(taskId, { timeout: 5 })).toMatchObject({ status: 'FAILURE', result: { exc_type: 'KeyError' } });
  });

  it('get() claims the watch begun at the send: no second SUBSCRIBE', async () => {
    const backend = client();
    const taskId = randomUUID();
    await backend.onTaskCall(taskId);
    await untilSubscribers(taskId, 1);
    const subscribes = (await raw.info('commandstats')).match(/cmdstat_subscribe:calls=(\d+)/)?.[1];
    const waiting = backend.waitFor(taskId, { timeout: 5 });
    expect(backend.earlyWatches).toBe(0);
    await writer.markAsDone(taskId, 42);
    expect(await waiting).toMatchObject({ status: 'SUCCESS', result: 42, task_id: taskId });
    expect((await raw.info('commandstats')).match(/cmdstat_subscribe:calls=(\d+)/)?.[1]).toBe(subscribes);
  });

  it('a result stored before the subscription was made is read by the watch', async () => {
    const backend = client();
    const taskId = randomUUID();
    await writer.markAsFailure(taskId, Object.assign(new Error('boom'), { name: 'ValueError' }));
    await backend.onTaskCall(taskId);
    expect(await backend.waitFor(taskId, { timeout: 5 })).toMatchObject({ status: 'FAILURE', result: { exc_type: 'ValueError' } });
  });

  it('holds at most earlyLimit watches (one whose result is in leaves at once); unclaimed ones end after earlyMs', async () => {
    const backend = client({ resultWatch: { earlyLimit: 2, earlyMs: 500 } });
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await backend.onTaskCall(a);
    await backend.onTaskCall(b);
    await backend.onTaskCall(c);
    expect(backend.earlyWatches).toBe(2);
    await untilSubscribers(a, 1);
    await untilSubscribers(b, 1);
    expect(await subscribers(c)).toBe(0);

    await writer.markAsDone(a, 'a');
    await untilSubscribers(a, 0);
    expect(backend.earlyWatches).toBe(1);
    await backend.onTaskCall(d);
    expect(backend.earlyWatches).toBe(2);
    await untilSubscribers(d, 1);

    await sleep(700);
    expect(backend.earlyWatches).toBe(0);
    await untilSubscribers(b, 0);
    await untilSubscribers(d, 0);
    // Given up, not lost: get() watches anew.
    await writer.markAsDone(b, 'b');
    expect(await backend.waitFor(b, { timeout: 5 })).toMatchObject({ status: 'SUCCESS', result: 'b' });
  });

  it('forget ends the watch; close rejects a claimed watch with BackendClosedError and leaves none behind', async () => {
    const backend = client();
    const forgotten = randomUUID();
    await backend.onTaskCall(forgotten);
    await untilSubscribers(forgotten, 1);
    await backend.forget(forgotten);
    expect(backend.earlyWatches).toBe(0);
    await untilSubscribers(forgotten, 0);

    const pending = randomUUID();
    await backend.onTaskCall(pending);
    await untilSubscribers(pending, 1);
    const waiting = expect(backend.waitFor(pending)).rejects.toBeInstanceOf(BackendClosedError);
    await backend.close();
    await waiting;
    await untilSubscribers(pending, 0);
  });

  it('every watch begun while the pub/sub connection is being made is live (ioredis ready check in subscriber mode)', async () => {
    const backend = client();
    const ids = Array.from({ length: 6 }, () => randomUUID());
    for (const [i, taskId] of ids.entries()) {
      await backend.onTaskCall(taskId);
      await new Promise((resolve) => (i % 2 ? setImmediate(resolve) : setTimeout(resolve, 1)));
    }
    for (const taskId of ids) await untilSubscribers(taskId, 1);
    await writer.markAsDone(ids[0]!, 'first');
    expect(await backend.waitFor(ids[0]!, { timeout: 5 })).toMatchObject({ status: 'SUCCESS', result: 'first' });
  });

  it('a timeout ends the claimed watch', async () => {
    const backend = client();
    const taskId = randomUUID();
    await backend.onTaskCall(taskId);
    await expect(backend.waitFor(taskId, { timeout: 0.3 })).rejects.toMatchObject({ code: 'CQ_BACKEND_TIMEOUT' });
    await untilSubscribers(taskId, 0);
  });
});
