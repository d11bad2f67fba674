/**
 * Every key cq leaves in Redis has a lifetime or a bound (issue "keys with lifetimes"): after tasks,
 * a failure, a group, a chord, a chain, remote control and events on one Redis database (db 15, used
 * by no other test, flushed before and after), each key either expires (results, group results,
 * chord counters: `result_expires`) or is one of kombu's binding sets, whose members do not grow
 * with the number of control clients that came and went.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Celery, createLogger } from '@cq/app';
import { chain, chord, group, signature } from '@cq/canvas';
import { Control } from '@cq/control';
import { Worker } from '@cq/worker';
import { testPlugins } from './plugins.js';

const URL = 'redis://127.0.0.1:6379/15';
const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 15 });

const app = new Celery('lifetimes', {
  broker_url: URL, result_backend: URL, result_expires: 600, worker_send_task_events: true, task_send_sent_event: true,
}, { plugins: testPlugins() });
app.log = createLogger({ level: 'critical' });
const add = app.task('cqt.life.add', (x: number, y: number) => x + y);
const tsum = app.task('cqt.life.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const fail = app.task('cqt.life.fail', () => {
  throw new Error('no');
});

let worker: Worker;
beforeAll(async () => {
  await redis.flushdb();
  worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 8, hostname: 'lifetimes@test' });
  await worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await app.close();
  await redis.flushdb();
  redis.disconnect();
}, 30_000);

/** Members of every `_kombu.binding.*` set. */
async function bindings(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const key of await redis.keys('_kombu.binding.*')) out.set(key, await redis.scard(key));
  return out;
}

/** Pings the worker through a Control client that is closed afterwards, as `cq inspect ping` does. */
async function ping(): Promise<void> {
  const control = new Control(app);
  try {
    const replies = await control.inspect({ destination: ['lifetimes@test'], timeout: 2 }).ping();
    expect(replies).toHaveProperty(['lifetimes@test']);
  } finally {
    await control.close();
  }
}

describe('Redis keys written by cq', () => {
  it('each expires or is a binding set that does not grow with control clients', async () => {
    expect(await add.delay(1, 2).then((r) => r.get({ timeout: 10 }))).toBe(3);
    await expect(fail.delay().then((r) => r.get({ timeout: 10 }))).rejects.toThrow('no');
    const g = await group(signature(add, [1, 1]), signature(add, [2, 2])).applyAsync();
    expect(await g.get({ timeout: 10 })).toEqual([2, 4]);
    await g.save();
    const c = await chord([signature(add, [1, 2]), signature(add, [3, 4])], signature(tsum)).applyAsync();
    expect(await c.get({ timeout: 10 })).toBe(10);
    expect(await chain(signature(add, [1, 1]), signature(add, [1])).applyAsync().then((r) => r.get({ timeout: 10 }))).toBe(3);
    await ping();
    const afterOne = await bindings();
    for (let i = 0; i < 5; i++) await ping();
    // Five more clients came and went: no binding set gained a member.
    expect(await bindings()).toEqual(afterOne);

    const lasting: string[] = [];
    for (const key of await redis.keys('*')) {
      const ttl = await redis.ttl(key);
      if (ttl > 0) {
        expect(ttl, key).toBeLessThanOrEqual(600);
        continue;
      }
      lasting.push(key);
    }
    // Only kombu's binding sets are kept without a TTL (one member per queue binding), and queues
    // that still hold messages (none here: everything was consumed).
    expect(lasting.filter((key) => !key.startsWith('_kombu.binding.'))).toEqual([]);
    expect(lasting.length).toBeGreaterThan(0);
  });
});
