/**
 * `ctx.replace()` (Celery 5.2 `Task.replace`) in a task run by a **prefork** child: the child loads
 * test/fixtures/replace-app.ts, publishes the replacement itself and hands `Ignore` back to the
 * parent, and the caller's AsyncResult resolves to the replacement's result. Broker and results on
 * Redis db 1, queue `cqt.pool.replace.<random8>`; every message id and group published (by the test
 * or a child, recorded by the fixture) has its result and chord keys deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '@cq/app';
import { ProcessPool, Worker } from '@cq/worker';

const QUEUE = `cqt.pool.replace.${randomUUID().slice(0, 8)}`;
const IDS_DIR = mkdtempSync(path.join(os.tmpdir(), 'cq-pool-replace-'));
// read by the fixture when it loads, in this process and in the children forked later
process.env['CQ_REPLACE_QUEUE'] = QUEUE;
process.env['CQ_REPLACE_IDS_DIR'] = IDS_DIR;
const { app, REPLACE_REDIS, toChain, toGroup, whereAmI } = await import('./fixtures/replace-app.js');
const APP_MODULE = fileURLToPath(new URL('./fixtures/replace-app.ts', import.meta.url));
const unacked = `${QUEUE}.unacked`;
const TIMEOUT = { timeout: 15 };

let worker: Worker;
beforeAll(async () => {
  app.conf.broker_transport_options = { unacked_key: unacked, unacked_index_key: `${unacked}_index`, unacked_mutex_key: `${unacked}_mutex` };
  app.log = createLogger({ level: 'critical' });
  worker = new Worker(app, { appModule: APP_MODULE, pool: 'prefork', concurrency: 2, log: app.log, withoutGossip: true, withoutMingle: true, withoutHeartbeat: true });
  await worker.start();
});

afterAll(async () => {
  await worker.shutdown('cold').catch(() => undefined);
  const conn = app.connection();
  const channel = await conn.channel();
  await channel.deleteQueue(QUEUE).catch(() => undefined);
  await conn.close();
  await app.close();
  const redis = new Redis(REPLACE_REDIS);
  try {
    const keys = [unacked, `${unacked}_index`, `${unacked}_mutex`];
    for (const file of readdirSync(IDS_DIR)) {
      for (const line of readFileSync(path.join(IDS_DIR, file), 'utf8').split('\n').filter(Boolean)) {
        const [id, group] = JSON.parse(line) as [string, string | null];
        keys.push(`celery-task-meta-${id}`);
        if (group) keys.push(...await redis.keys(`celery-taskset-meta-${group}*`));
      }
    }
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    redis.disconnect();
    rmSync(IDS_DIR, { recursive: true, force: true });
  }
});

describe('ctx.replace() under the prefork pool', () => {
  it('tasks run in children, not in the test process', async () => {
    expect(worker.pool.name).toBe('prefork');
    const pid = await (await whereAmI.delay()).get(TIMEOUT);
    expect((worker.pool as ProcessPool).pids).toContain(pid);
    expect(pid).not.toBe(process.pid);
  });

  it('a task replaced by a chain resolves to the chain\'s last result', async () => {
    const r = await toChain.delay(4);
    expect(await r.get(TIMEOUT)).toBe(10); // (4 + 1) * 2
    expect(await r.state()).toBe('SUCCESS');
  });

  it('a task replaced by a group resolves to the list of the group\'s results', async () => {
    const r = await toGroup.delay(1);
    expect(await r.get(TIMEOUT)).toEqual([2, 3]);
  });
});
