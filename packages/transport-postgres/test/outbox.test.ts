/**
 * The outbox pattern for brokers that cannot enqueue inside a PostgreSQL transaction: tasks written
 * with `enqueueInOutbox` in the caller's transaction, relayed by `relayOutbox` to a Redis broker
 * (db 9, a queue of this run) and run there by a real worker in this process. A rolled-back enqueue
 * is never relayed, a committed one runs once with the task id chosen at enqueue, and a failed send
 * leaves its row for the next pass.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, createLogger } from '@cq/app';
import { redisBackend } from '@cq/backend-redis';
import { Worker } from '@cq/worker';
import { redisTransport } from '@cq/transport-redis';
import { waitFor } from '@cq/tooling/testing';
import { OutboxRelay, enqueueInOutbox, ensureOutbox, relayOutbox, type OutboxSender } from '../src/index.js';
import { sqlClient, testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_outbox');
const url = `postgresql://${db}`;
const REDIS = 'redis://127.0.0.1:6379/9';
const queue = `cqt.pgoutbox.${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const app = new Celery('pgoutbox', {
  broker_url: REDIS, result_backend: REDIS, result_expires: 120, task_default_queue: queue,
}, { plugins: [redisTransport(), redisBackend()] });
app.log = createLogger({ level: 'critical' });

const runs: Array<{ tag: string; id: string }> = [];
app.task('pgo.record', (ctx, tag: string) => {
  runs.push({ tag, id: ctx.request.id });
  return tag;
}, { bind: true });

let worker: Worker;
let relay: OutboxRelay;
beforeAll(async () => {
  const sql = await sqlClient(url);
  await sql.query('CREATE TABLE orders (id text PRIMARY KEY)');
  await sql.end();
  worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 4, queues: [queue], withoutGossip: true, withoutMingle: true, withoutHeartbeat: true });
  await worker.start();
  relay = await relayOutbox(app, { url, pollInterval: 30 }); // woken by NOTIFY, not by polling
});
afterAll(async () => {
  await relay?.stop();
  await worker?.stop();
  const channel = await app.connection().channel();
  await channel.deleteQueue(queue).catch(() => undefined);
  await channel.close();
  await app.close();
});

describe('enqueueInOutbox + relayOutbox to redis://', () => {
  it('rolled back: never relayed; committed: relayed at once on commit and run once, with the id chosen at enqueue', async () => {
    const client = await sqlClient(url);
    let taskId = '';
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO orders (id) VALUES ($1)', ['o-rolled-back']);
      await enqueueInOutbox(client, 'pgo.record', ['rolled-back']);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await client.query('INSERT INTO orders (id) VALUES ($1)', ['o-committed']);
      taskId = await enqueueInOutbox(client, 'pgo.record', ['committed'], { queue });
      await sleep(300);
      expect(relay.relayed).toBe(0); // nothing visible before the commit
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect(await app.asyncResult(taskId).get({ timeout: 15 })).toBe('committed');
    await sleep(800);
    expect(runs).toEqual([{ tag: 'committed', id: taskId }]);
    expect(relay.relayed).toBe(1);
    const sql = await sqlClient(url);
    try {
      expect((await sql.query('SELECT count(*)::int AS n FROM cq_outbox')).rows[0].n).toBe(0);
      expect((await sql.query('SELECT id FROM orders')).rows).toEqual([{ id: 'o-committed' }]);
    } finally {
      await sql.end();
    }
  });

  it('a failed send keeps its row (and the rows after it); the next pass sends them', async () => {
    const table = 'cq_outbox_flaky';
    let failNext = true;
    const flaky: OutboxSender = {
      sendTask: async (name, args, options) => {
        if (failNext) {
          failNext = false;
          throw new Error('broker down');
        }
        return app.sendTask(name, args, options);
      },
    };
    const client = await sqlClient(url);
    const ids: string[] = [];
    try {
      await ensureOutbox(client, table);
      for (const tag of ['f1', 'f2']) ids.push(await enqueueInOutbox(client, 'pgo.record', [tag], { queue }, table));
    } finally {
      await client.end();
    }
    const once = new OutboxRelay(flaky, { url, table });
    try {
      await expect(once.relayOnce()).rejects.toThrow('broker down');
      expect(once.relayed).toBe(0);
      expect(await once.relayOnce()).toBe(2);
    } finally {
      await once.stop();
    }
    expect(await Promise.all(ids.map((id) => app.asyncResult(id).get({ timeout: 15 })))).toEqual(['f1', 'f2']);
    await waitFor(() => runs.length >= 3, 5_000);
    await sleep(500);
    expect(runs.map((r) => r.tag).sort()).toEqual(['committed', 'f1', 'f2']);
  });
});
