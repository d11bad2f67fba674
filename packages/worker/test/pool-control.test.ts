/**
 * Remote control of the process pools through @cq/control: `revoke(terminate=True)` kills the child
 * running a busy loop (REVOKED is stored and the worker serves the next task), and `pool_grow` /
 * `pool_shrink` change the number of children and the prefetch count. A `-c 1` worker per kind on
 * test/fixtures/pool-app.ts (Redis db 1), a fresh `cqt.pool.` queue, deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '@cq/app';
import { Control } from '@cq/control';
import { ProcessPool, Worker, workerSettings } from '@cq/worker';
import { POOL_REDIS, app } from './fixtures/pool-app.js';

const APP_MODULE = fileURLToPath(new URL('./fixtures/pool-app.ts', import.meta.url));
const queue = `cqt.pool.ctl.${randomUUID().slice(0, 8)}`;
const unacked = `${queue}.unacked`;
// Redis keeps pidbox bindings in these sets; what this file adds is removed at the end.
const BINDINGS = ['_kombu.binding.celery.pidbox', '_kombu.binding.reply.celery.pidbox'];
const before = new Map<string, Set<string>>();
const ids: string[] = [];
const workers: Worker[] = [];
let control: Control;

async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

beforeAll(async () => {
  app.conf.task_default_queue = queue;
  app.conf.broker_transport_options = { unacked_key: unacked, unacked_index_key: `${unacked}_index`, unacked_mutex_key: `${unacked}_mutex` };
  app.log = createLogger({ level: 'critical' });
  const redis = new Redis(POOL_REDIS);
  for (const key of BINDINGS) before.set(key, new Set(await redis.smembers(key)));
  redis.disconnect();
  control = new Control(app);
});

afterAll(async () => {
  for (const w of workers) await w.shutdown('cold').catch(() => undefined);
  await control.close().catch(() => undefined);
  const conn = app.connection();
  const channel = await conn.channel();
  await channel.deleteQueue(queue).catch(() => undefined);
  await conn.close();
  await app.close();
  const redis = new Redis(POOL_REDIS);
  try {
    await redis.del(unacked, `${unacked}_index`, `${unacked}_mutex`, ...ids.map((id) => `celery-task-meta-${id}`));
    for (const key of BINDINGS) {
      const added = (await redis.smembers(key)).filter((m) => !before.get(key)?.has(m) && (key.includes('reply') || m.includes('cqt-pool-ctl-')));
      if (added.length > 0) await redis.srem(key, ...added);
    }
    const pidboxes = await redis.keys('cqt-pool-ctl-*');
    if (pidboxes.length > 0) await redis.del(...pidboxes);
  } finally {
    redis.disconnect();
  }
}, 60_000);

describe.each(['prefork', 'threads'] as const)('%s pool under remote control', (kind) => {
  let worker: Worker;
  let dest: { destination: string[]; timeout: number; reply: true };
  const pids = (): number[] => (worker.pool as ProcessPool).pids;

  beforeAll(async () => {
    worker = new Worker(app, { appModule: APP_MODULE, pool: kind, concurrency: 1, log: app.log, hostname: `cqt-pool-ctl-${randomUUID().slice(0, 6)}@test` });
    workers.push(worker);
    await worker.start();
    dest = { destination: [worker.hostname], timeout: 5, reply: true };
  }, 30_000);
  afterAll(() => worker.shutdown('cold'), 30_000); // the next kind's worker consumes the same queue

  it('revoke with terminate kills the child running a busy loop: REVOKED is stored, the child is replaced and the next task runs', async () => {
    const [busyPid] = pids();
    const busy = await app.tasks.get('pool.busy')!.applyAsync([] as never);
    ids.push(busy.id);
    await until(() => (worker.pool as ProcessPool).children.active === 1); // the child began the loop
    expect(await control.revoke(busy.id, { ...dest, terminate: true, signal: 'SIGKILL' })).toEqual([{ [worker.hostname]: { ok: `terminate: ${busy.id}` } }]);
    await until(async () => (await busy.state()) === 'REVOKED');
    await expect(busy.get({ timeout: 10 })).rejects.toThrow(/terminated/);
    await until(() => pids().length === 1 && pids()[0] !== busyPid);
    const next = await app.tasks.get('pool.add')!.applyAsync([2, 3] as never);
    ids.push(next.id);
    expect(await next.get({ timeout: 10 })).toBe(5);
    await until(() => worker.activeRequests.size === 0);
    expect(await busy.state()).toBe('REVOKED'); // not overwritten by a FAILURE
  });

  it('pool_grow 1 adds a child and raises the prefetch count; pool_shrink 1 goes back', async () => {
    const inspect = control.inspect({ destination: [worker.hostname], timeout: 5 });
    type Stats = { prefetch_count: number; pool: { 'max-concurrency': number; processes: number[] } };
    const stats = async (): Promise<Stats> => (await inspect.stats())![worker.hostname] as Stats;
    const multiplier = workerSettings(app.conf).worker_prefetch_multiplier;
    expect(await stats()).toMatchObject({ prefetch_count: multiplier, pool: { 'max-concurrency': 1 } });

    expect(await control.poolGrow(1, dest)).toEqual([{ [worker.hostname]: { ok: 'pool will grow' } }]);
    await until(() => pids().length === 2);
    expect(worker.pool.limit).toBe(2);
    expect(await stats()).toMatchObject({ prefetch_count: 2 * multiplier, pool: { 'max-concurrency': 2 } });
    expect((await stats()).pool.processes.sort()).toEqual([...pids()].sort()); // the children, as Celery lists them
    // Both children serve at once (once the new one is ready: until then the old one takes both).
    const served = new Set<number>();
    for (let round = 0; round < 20 && served.size < 2; round++) {
      const sleeps = await Promise.all([0, 1].map(() => app.tasks.get('pool.sleep')!.applyAsync([300] as never)));
      ids.push(...sleeps.map((r) => r.id));
      for (const child of await Promise.all(sleeps.map((r) => r.get({ timeout: 10 })))) served.add(child as number);
    }
    expect([...served].sort()).toEqual([...pids()].sort());

    expect(await control.poolShrink(1, dest)).toEqual([{ [worker.hostname]: { ok: 'pool will shrink' } }]);
    await until(() => pids().length === 1);
    expect(worker.pool.limit).toBe(1);
    expect(await stats()).toMatchObject({ prefetch_count: multiplier, pool: { 'max-concurrency': 1 } });
    expect(await control.poolShrink(1, dest)).toEqual([{ [worker.hostname]: { error: expect.stringMatching(/at least 1/) } }]);
    const last = await app.tasks.get('pool.add')!.applyAsync([1, 1] as never);
    ids.push(last.id);
    expect(await last.get({ timeout: 10 })).toBe(2);
  });
});
