/**
 * Chords, saved groups and `celery.backend_cleanup` on each database result backend (PostgreSQL on
 * 127.0.0.1:5432, MySQL/MariaDB on 127.0.0.1:3306, SQLite in a temporary file) with a real cq worker
 * (in this process, async pool) on the Redis broker (db 2, queue `cqt.dbchord.<tag>.<random>`): these
 * backends have no native chords, so a chord goes through `celery.chord_unlock`, which polls the
 * header's results in their tables. Tables `cqt_<tag>ch_<random>_*` (database `test`), the SQLite
 * file and the queues are removed afterwards.
 *
 * One file for the three because the logic is the worker's and the canvas's, the same on each; what
 * differs per database (URL, plugin, how its tables are dropped) is the table of cases at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, before_task_publish, createLogger, type CeleryPlugin } from '@cq/app';
import type { DatabaseBackend, TableNames } from '@cq/backend';
import { MysqlBackend, mysqlBackend } from '@cq/backend-mysql';
import { PostgresBackend, postgresBackend } from '@cq/backend-postgres';
import { SqliteBackend, sqliteBackend } from '@cq/backend-sqlite';
import { GroupResult, canvas, chord, group, signature } from '@cq/canvas';
import { redisTransport } from '@cq/transport-redis';
import { Worker } from '@cq/worker';

/** One database backend under test. */
interface DatabaseCase<B extends DatabaseBackend> {
  /** Dialect name, in the describe title (`postgresql result backend with a worker`). */
  name: string;
  /** Short tag in the queue, table, app and task names (`pg`: `cqt.dbchord.pg.<random>`, `cqt_pgch_…`). */
  tag: string;
  /** The `result_backend` URL. */
  url: string;
  /** The backend's app plugin. */
  plugin: () => CeleryPlugin;
  /** The backend's class: the app's backend must be one. */
  type: abstract new (...args: never[]) => B;
  /** Runs before the worker starts (e.g. creates the database when missing). */
  prepare?: () => Promise<void>;
  /** Drops the file's tables through the app's backend, after the worker stopped and before the app closes. */
  dropTables?: (backend: B, tables: TableNames) => Promise<void>;
  /** Runs last, once the app is closed (e.g. removes a database file). */
  remove?: () => void;
}

function describeDatabaseChords<B extends DatabaseBackend>(c: DatabaseCase<B>): void {
  const run = randomUUID().slice(0, 8);
  const queue = `cqt.dbchord.${c.tag}.${run}`;
  const tables = { task: `cqt_${c.tag}ch_${run}_task`, group: `cqt_${c.tag}ch_${run}_group` };
  const sent: string[] = [];
  const app = new Celery(`cqt_${c.tag}_chord`, {
    broker_url: 'redis://127.0.0.1:6379/2', result_backend: c.url, result_expires: 2,
    database_table_names: tables, task_default_queue: queue, task_default_exchange: '',
    broker_transport_options: { unacked_key: `${queue}.unacked`, unacked_index_key: `${queue}.unacked_index`, unacked_mutex_key: `${queue}.unacked_mutex` },
  }, { plugins: [redisTransport(), c.plugin(), canvas()] });
  app.log = createLogger({ level: 'critical' });
  const add = app.task(`cqt.${c.tag}ch.add`, (x: number, y: number) => x + y);
  const tsum = app.task(`cqt.${c.tag}ch.tsum`, (xs: number[]) => xs.reduce((a, b) => a + b, 0));
  const fail = app.task(`cqt.${c.tag}ch.fail`, (): number => {
    throw new RangeError('header failed');
  });

  describe(`${c.name} result backend with a worker`, () => {
    let untrack: () => void = () => undefined;
    let worker: Worker | undefined;
    beforeAll(async () => {
      untrack = before_task_publish.connect(({ headers, routingKey }) => {
        if (routingKey === queue) sent.push(String(headers['task']));
      }, { dispatchUid: `${queue}.track` });
      await c.prepare?.();
      worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 10, hostname: `${queue}@%h`, withoutGossip: true, withoutMingle: true, withoutHeartbeat: true });
      await worker.start();
    });

    afterAll(async () => {
      untrack();
      await worker?.shutdown('cold').catch(() => undefined);
      const conn = app.connection();
      const ch = await conn.channel();
      await ch.deleteQueue(queue).catch(() => 0);
      await conn.close();
      try {
        if (c.dropTables) await c.dropTables(await app.backend() as B, tables);
      } finally {
        await app.close();
        c.remove?.();
      }
    });

    it('joins a chord through celery.chord_unlock', async () => {
      const result = await chord([signature(add, [1, 1]), signature(add, [2, 2]), signature(add, [3, 3])], signature(tsum)).applyAsync();
      expect(await result.get({ timeout: 30 })).toBe(12);
      expect(sent).toContain('celery.chord_unlock');
      const backend = await app.backend();
      expect(backend).toBeInstanceOf(c.type);
      expect((backend as B).tables.task.name).toBe(tables.task); // database_table_names from app.conf
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
}

describeDatabaseChords({
  name: 'postgresql', tag: 'pg', url: 'db+postgresql://postgres@127.0.0.1:5432/test', plugin: postgresBackend, type: PostgresBackend,
  dropTables: async (backend, tables) => {
    await backend.pool.query(`DROP TABLE IF EXISTS "${tables.task}", "${tables.group}"`);
  },
});

describeDatabaseChords({
  name: 'mysql', tag: 'my', url: 'db+mysql://root@127.0.0.1:3306/test', plugin: mysqlBackend, type: MysqlBackend,
  prepare: async () => { // creates the test database when missing, on a pool with no default database
    const server = new MysqlBackend({ url: 'db+mysql://root@127.0.0.1:3306' });
    try {
      await server.pool.query('CREATE DATABASE IF NOT EXISTS test');
    } finally {
      await server.close();
    }
  },
  dropTables: async (backend, tables) => {
    await backend.pool.query(`DROP TABLE IF EXISTS test.\`${tables.task}\`, test.\`${tables.group}\``);
  },
});

const sqliteDir = mkdtempSync(join(tmpdir(), 'cq-sqlite-chord-'));
describeDatabaseChords({
  name: 'sqlite', tag: 'sq', url: `db+sqlite:///${join(sqliteDir, 'results.db')}`, plugin: sqliteBackend, type: SqliteBackend,
  remove: () => rmSync(sqliteDir, { recursive: true, force: true }),
});
