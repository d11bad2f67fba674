/**
 * Chords, saved groups and `celery.backend_cleanup` on the SQLite result backend with a real cq
 * worker (in this process, async pool) on the Redis broker (db 2, queue `cqt.dbchord.sqlite.<random>`):
 * the backend has no native chords, so the chord goes through `celery.chord_unlock`, which polls the
 * header's results in these tables. The database is a temporary file; it and the queue are removed afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, before_task_publish, createLogger } from '@cq/app';
import { GroupResult, canvas, chord, group, signature } from '@cq/canvas';
import { redisTransport } from '@cq/transport-redis';
import { Worker } from '@cq/worker';
import { SqliteBackend, sqliteBackend } from '../src/index.js';

const run = randomUUID().slice(0, 8);
const dir = mkdtempSync(join(tmpdir(), 'cq-sqlite-chord-'));
const queue = `cqt.dbchord.sqlite.${run}`;
const tables = { task: `cqt_sqch_${run}_task`, group: `cqt_sqch_${run}_group` };
const sent: string[] = [];
const untrack = before_task_publish.connect(({ headers, routingKey }) => {
  if (routingKey === queue) sent.push(String(headers['task']));
}, { dispatchUid: `${queue}.track` });

const app = new Celery('cqt_sqlite_chord', {
  broker_url: 'redis://127.0.0.1:6379/2', result_backend: `db+sqlite:///${join(dir, 'results.db')}`, result_expires: 2,
  database_table_names: tables, task_default_queue: queue, task_default_exchange: '',
  broker_transport_options: { unacked_key: `${queue}.unacked`, unacked_index_key: `${queue}.unacked_index`, unacked_mutex_key: `${queue}.unacked_mutex` },
}, { plugins: [redisTransport(), sqliteBackend(), canvas()] });
app.log = createLogger({ level: 'critical' });
const add = app.task('cqt.sqch.add', (x: number, y: number) => x + y);
const tsum = app.task('cqt.sqch.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const fail = app.task('cqt.sqch.fail', (): number => {
  throw new RangeError('header failed');
});

let worker: Worker;
beforeAll(async () => {
  worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 10, hostname: `${queue}@%h`, withoutGossip: true, withoutMingle: true, withoutHeartbeat: true });
  await worker.start();
});

afterAll(async () => {
  untrack();
  await worker.shutdown('cold').catch(() => undefined);
  const conn = app.connection();
  const ch = await conn.channel();
  await ch.deleteQueue(queue).catch(() => 0);
  await conn.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlite result backend with a worker', () => {
  it('joins a chord through celery.chord_unlock', async () => {
    const result = await chord([signature(add, [1, 1]), signature(add, [2, 2]), signature(add, [3, 3])], signature(tsum)).applyAsync();
    expect(await result.get({ timeout: 30 })).toBe(12);
    expect(sent).toContain('celery.chord_unlock');
    expect((await app.backend() as SqliteBackend).tables.task.name).toBe(tables.task); // database_table_names from app.conf
  });

  it('fails the chord body with ChordError when a header task fails', async () => {
    const result = await chord([signature(add, [1, 1]), signature(fail)], signature(tsum)).applyAsync();
    const err = await result.get({ timeout: 30 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ChordError' });
    expect((err as Error).message).toContain('header failed');
  });

  it('saves and restores a group in the taskset table', async () => {
    const res = await group(signature(add, [1, 2]), signature(add, [3, 4])).applyAsync();
    await res.save();
    const restored = await GroupResult.restore<number[]>(res.id, app);
    expect(restored?.results.map((r) => r.id)).toEqual(res.results.map((r) => r.id));
    expect(await restored!.get({ timeout: 30 })).toEqual([3, 7]);
  });

  it('celery.backend_cleanup deletes results older than result_expires', async () => {
    const old = await add.delay(20, 22);
    expect(await old.get({ timeout: 30 })).toBe(42);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const cleanup = await app.sendTask('celery.backend_cleanup', []);
    await cleanup.get({ timeout: 30 });
    const backend = (await app.backend())!;
    expect(await backend.getState(old.id)).toBe('PENDING');
    expect(await backend.getState(cleanup.id)).toBe('SUCCESS');
  });
});
