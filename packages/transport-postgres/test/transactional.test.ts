/**
 * Enqueueing inside the caller's PostgreSQL transaction, end to end: `applyAsync(…, { transaction })`
 * on the app and on canvas chains, groups and chords, run by a real worker (in this process) over
 * `postgresql://`, results in Redis db 9. A rolled-back enqueue never runs, a committed one runs
 * exactly once, the caller's own row and the task commit together, and a broker that cannot enqueue
 * in a transaction fails before anything is sent.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, TransactionUnsupportedError, before_task_publish, createLogger } from '@cq/app';
import { redisBackend } from '@cq/backend-redis';
import { canvas, chain, chord, group, signature } from '@cq/canvas';
import type { TransactionClient } from '@cq/kombu';
import { Worker } from '@cq/worker';
import { postgresTransport } from '../src/index.js';
import { sqlClient, testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_tx');
const broker = `postgresql://${db}`;
const queue = `cqt.pgtx.${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const app = new Celery('pgtx', {
  broker_url: broker, result_backend: 'redis://127.0.0.1:6379/9', result_expires: 120,
  task_default_queue: queue, broker_transport_options: { polling_interval: 0.2 },
}, { plugins: [postgresTransport(), redisBackend(), canvas()] });
app.log = createLogger({ level: 'critical' });

/** Every run of every task, by tag: what the worker actually executed. */
const runs: string[] = [];
const record = app.task('pgtx.record', (tag: string) => {
  runs.push(tag);
  return tag;
});
const add = app.task('pgtx.add', (x: number, y: number) => {
  runs.push(`add(${x},${y})`);
  return x + y;
});
const tsum = app.task('pgtx.tsum', (xs: number[]) => {
  runs.push(`tsum(${xs.join(',')})`);
  return xs.reduce((a, b) => a + b, 0);
});

let worker: Worker;
beforeAll(async () => {
  const sql = await sqlClient(broker);
  await sql.query('CREATE TABLE orders (id text PRIMARY KEY)');
  await sql.end();
  worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 8, queues: [queue], withoutGossip: true, withoutMingle: true, withoutHeartbeat: true });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await app.close();
});

/** Runs `body` inside BEGIN … COMMIT (or ROLLBACK) on a client of its own. */
async function inTransaction(end: 'COMMIT' | 'ROLLBACK', body: (client: TransactionClient) => Promise<void>, beforeEnd: () => Promise<void> = async () => {}): Promise<void> {
  const client = await sqlClient(broker);
  try {
    await client.query('BEGIN');
    await body(client);
    await beforeEnd();
    await client.query(end);
  } finally {
    await client.end();
  }
}

/** What another session sees: committed orders, and messages waiting in the queue. */
async function outside(): Promise<{ orders: string[]; messages: number }> {
  const sql = await sqlClient(broker);
  try {
    const orders = (await sql.query('SELECT id FROM orders ORDER BY id')).rows.map((r: { id: string }) => r.id);
    const messages = (await sql.query('SELECT count(*)::int AS n FROM cq_message m JOIN cq_queue q ON q.id = m.queue_id WHERE q.name = $1', [queue])).rows[0].n as number;
    return { orders, messages };
  } finally {
    await sql.end();
  }
}

describe('applyAsync(…, { transaction }) on postgresql://', () => {
  it('rolled back: never runs; committed: the order and the task commit together and the task runs once', async () => {
    await inTransaction('ROLLBACK', async (tx) => {
      await tx.query('INSERT INTO orders (id) VALUES ($1)', ['o-rolled-back']);
      await record.applyAsync(['rolled-back'], { transaction: tx });
    });
    let result: Awaited<ReturnType<typeof record.applyAsync>> | undefined;
    await inTransaction('COMMIT', async (tx) => {
      await tx.query('INSERT INTO orders (id) VALUES ($1)', ['o-committed']);
      result = await record.applyAsync(['committed'], { transaction: tx });
    }, async () => {
      await sleep(500); // the worker is consuming: it must not see the task before the commit
      expect(runs).toEqual([]);
      expect(await outside()).toEqual({ orders: [], messages: 0 });
    });
    expect(await result!.get({ timeout: 15 })).toBe('committed');
    await sleep(1_000); // a duplicate, or the rolled-back task, would have run by now
    expect(runs).toEqual(['committed']);
    expect(await outside()).toEqual({ orders: ['o-committed'], messages: 0 });
    runs.length = 0;
  });

  it('a chain, a group and a chord: nothing of them runs after a rollback; after a commit each step runs once', async () => {
    await inTransaction('ROLLBACK', async (tx) => {
      await chain(signature(add, [1, 2]), signature(add, [3]), signature(add, [4])).applyAsync([], { transaction: tx });
      await group(signature(record, ['g1']), signature(record, ['g2'])).applyAsync([], { transaction: tx });
      await chord([signature(add, [1, 1]), signature(add, [2, 2])], signature(tsum)).applyAsync([], { transaction: tx });
    });
    const committed: Array<{ get(o: { timeout: number }): Promise<unknown> }> = [];
    await inTransaction('COMMIT', async (tx) => {
      committed.push(await chain(signature(add, [10, 20]), signature(add, [30])).applyAsync([], { transaction: tx }));
      committed.push(await group(signature(record, ['g1']), signature(record, ['g2'])).applyAsync([], { transaction: tx }));
      committed.push(await chord([signature(add, [100, 100]), signature(add, [200, 200])], signature(tsum)).applyAsync([], { transaction: tx }));
    }, async () => {
      await sleep(500);
      expect(runs).toEqual([]);
    });
    expect(await committed[0]!.get({ timeout: 15 })).toBe(60);
    expect(await committed[1]!.get({ timeout: 15 })).toEqual(['g1', 'g2']);
    expect(await committed[2]!.get({ timeout: 15 })).toBe(600);
    await sleep(1_000);
    expect([...runs].sort()).toEqual(['add(10,20)', 'add(100,100)', 'add(200,200)', 'add(30,30)', 'g1', 'g2', 'tsum(200,400)']);
    expect((await outside()).messages).toBe(0);
    runs.length = 0;
  });

  it('on a broker that cannot (memory://), rejects with TransactionUnsupportedError naming the fix, before anything is sent', async () => {
    const other = new Celery('pgtx-memory', { broker_url: 'memory://', result_backend: 'memory://' });
    const otherRecord = other.task('pgtx.record', (tag: string) => tag);
    const published: string[] = [];
    const untrack = before_task_publish.connect(({ headers }) => { published.push(String(headers['id'])); }, { dispatchUid: `${queue}.memory` });
    const used: string[] = [];
    const client: TransactionClient = { query: async (text) => { used.push(text); return { rows: [], rowCount: 0 }; } };
    try {
      const err = await other.sendTask('pgtx.record', ['x'], { transaction: client }).then(() => null, (e: unknown) => e as TransactionUnsupportedError);
      expect(err).toBeInstanceOf(TransactionUnsupportedError);
      expect(err!.code).toBe('CQ_APP_TRANSACTION_UNSUPPORTED');
      expect(err!.message).toMatch(/needs the postgresql:\/\/ broker.*not memory:\/\/.*outbox/);
      await expect(chain(signature(otherRecord, ['y']), signature(otherRecord)).applyAsync([], { transaction: client })).rejects.toThrow(TransactionUnsupportedError);
      expect(used).toEqual([]);
      expect(published).toEqual([]);
    } finally {
      untrack();
      await other.close();
    }
  });
});
