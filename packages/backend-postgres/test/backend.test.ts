/**
 * The PostgreSQL result backend against the PostgreSQL on 127.0.0.1:5432 (database `test`): the
 * shared conformance suite, the interop suite with Python Celery's DatabaseBackend (psycopg2), and
 * what is PostgreSQL's own (URLs, schemas, settings, the plugin). Tables are `cqt_pg_<random>_*`,
 * dropped afterwards; the schema test uses its own schema.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendRegistry, BackendStoreError, resultChannel } from '@cq/backend';
import { describeBackend, describeDatabaseBackend } from '@cq/backend/testing';
import { databaseInteropPython } from '@cq/tooling/testing';
import PostgresBackendDefault, { PostgresBackend, PostgresUrlError, parsePostgresUrl, postgresBackend } from '../src/index.js';

const URL = 'db+postgresql://postgres@127.0.0.1:5432/test';
const run = randomUUID().slice(0, 8);
const tableNames = { task: `cqt_pg_${run}_task`, group: `cqt_pg_${run}_group` };
const schema = `cqt_pg_${run}`;

async function sql(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test' });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await sql(`DROP TABLE IF EXISTS "${tableNames.task}", "${tableNames.group}"`);
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

describeBackend('postgresql', (options) => new PostgresBackend({ ...options, url: URL, tableNames }), { storesRelations: false });

describeDatabaseBackend('postgresql', {
  factory: (options) => new PostgresBackend({ ...options, url: URL }),
  pythonUrl: 'db+postgresql://postgres@127.0.0.1:5432/test',
  runPython: databaseInteropPython(['celery', 'sqlalchemy', 'psycopg2']),
  prefix: `cqt_pg_io_${run}`,
});

describe('postgresql backend', () => {
  it('reads Celery URL forms and refuses others', () => {
    expect(parsePostgresUrl('db+postgresql://u:p%40ss@db.example:6543/results?sslmode=require')).toMatchObject({
      dialect: 'postgresql', driver: null, username: 'u', password: 'p@ss', host: 'db.example', port: 6543, database: 'results',
      query: { sslmode: 'require' }, connectionString: 'postgresql://u:p%40ss@db.example:6543/results?sslmode=require',
      identity: 'postgresql://db.example:6543/results',
    });
    expect(parsePostgresUrl('db+postgresql+psycopg2://postgres@localhost/test')).toMatchObject({ driver: 'psycopg2', database: 'test' });
    expect(parsePostgresUrl('db+postgres:///test?host=/var/run/postgresql').identity).toBe('postgresql:///var/run/postgresql:5432/test');
    expect(() => parsePostgresUrl('postgresql://localhost/test')).toThrow(PostgresUrlError);
    expect(() => parsePostgresUrl('db+mysql://localhost/test')).toThrow(/db\+postgresql:\/\/user:password@host:port\/database/);
    expect(() => new PostgresBackend({})).toThrow(/needs a URL/);
  });

  it('is created through the registry its plugin fills, for every URL form', async () => {
    expect(PostgresBackendDefault).toBe(PostgresBackend);
    const registry = new BackendRegistry();
    postgresBackend().install({ backends: registry });
    for (const url of [URL, 'db+postgres://postgres@127.0.0.1:5432/test', 'db+postgresql+psycopg2://postgres@127.0.0.1:5432/test']) {
      const backend = await registry.create(url, { extended: true, settings: { database_table_names: tableNames } });
      expect(backend).toBeInstanceOf(PostgresBackend);
      expect((backend as PostgresBackend).tables.task.name).toBe(tableNames.task);
      expect(backend.extended).toBe(true);
      expect(backend.supportsAutoexpire).toBe(false);
      await backend.markAsDone(`reg-${randomUUID()}`, 1);
      await backend.close();
    }
  });

  it('puts the tables and sequences in database_table_schemas, and reads engine options', async () => {
    await sql(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const backend = new PostgresBackend({
      url: URL,
      settings: { database_table_schemas: { task: schema, group: schema }, database_engine_options: { pool_size: 2, max_overflow: 1, pool_timeout: 7 } },
    });
    expect(backend.pool.options).toMatchObject({ max: 3, connectionTimeoutMillis: 7000 });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, { in: 'schema' });
    await backend.saveGroup(`g-${taskId}`, [[`g-${taskId}`, null], [[[taskId, null], null]]]);
    await backend.close();
    const tables = await sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ORDER BY 1`);
    expect(tables.rows.map((r) => r.table_name)).toEqual(['celery_taskmeta', 'celery_tasksetmeta']);
    const sequences = await sql(`SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = '${schema}' ORDER BY 1`);
    expect(sequences.rows.map((r) => r.sequence_name)).toEqual(['task_id_sequence', 'taskset_id_sequence']);
    const row = await sql(`SELECT id, status, date_done FROM "${schema}".celery_taskmeta WHERE task_id = '${taskId}'`);
    expect(row.rows[0]).toMatchObject({ id: 1, status: 'SUCCESS' });
  });

  it('creates its tables once when many backends start together', async () => {
    const names = { task: `cqt_pg_${run}_race_task`, group: `cqt_pg_${run}_race_group` };
    const backends = Array.from({ length: 6 }, () => new PostgresBackend({ url: URL, tableNames: names }));
    try {
      await Promise.all(backends.map((b, i) => b.markAsDone(`race-${run}-${i}`, i)));
      expect(await backends[0]!.getManyTaskMeta(backends.map((_, i) => `race-${run}-${i}`))).toHaveLength(6);
    } finally {
      await Promise.all(backends.map((b) => b.close()));
      await sql(`DROP TABLE IF EXISTS "${names.task}", "${names.group}"`);
    }
  });

  it('wraps a connection failure in BackendStoreError', async () => {
    const backend = new PostgresBackend({ url: 'db+postgresql://postgres@127.0.0.1:1/test', tableNames, engineOptions: { pool_timeout: 2 } });
    const err = await backend.markAsDone('x', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendStoreError);
    expect((err as Error).cause).toBeInstanceOf(Error);
    await backend.close();
  });

  it('writes the results of one turn together, keeping a stored SUCCESS and the order of one id', async () => {
    const backend = new PostgresBackend({ url: URL, tableNames });
    try {
      const ids = Array.from({ length: 40 }, () => randomUUID());
      const dup = randomUUID();
      // One turn: 40 ids, and one id stored SUCCESS then STARTED (the second must not replace the first).
      const written = await Promise.all([
        ...ids.map((id, n) => backend.storeResult(id, n, 'SUCCESS')),
        backend.storeResult(dup, 'done', 'SUCCESS'),
        backend.storeResult(dup, null, 'STARTED'),
      ]);
      expect(written).toEqual([...ids.map(() => true), true, false]);
      const metas = await backend.getManyTaskMeta(ids);
      expect(metas.map((m) => m.result)).toEqual(ids.map((_, n) => n));
      expect(await backend.getTaskMeta(dup)).toMatchObject({ status: 'SUCCESS', result: 'done' });
    } finally {
      await backend.close();
    }
  });

  it('announces each stored result, and waitFor is woken by the announcement from another process', async () => {
    // Two URL spellings of one database: different in-process wake scopes, so only NOTIFY can wake.
    const waiter = new PostgresBackend({ url: URL, tableNames });
    const writer = new PostgresBackend({ url: 'db+postgresql://postgres@localhost:5432/test', tableNames });
    const listener = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test' });
    try {
      await listener.connect();
      const heard: string[] = [];
      listener.on('notification', (msg) => { if (msg.payload) heard.push(msg.payload); });
      await listener.query(`LISTEN "${resultChannel(waiter.tables.task)}"`);
      const id = randomUUID();
      // A poll gap of 60 s: without the notification the wait would still be asleep when it times out.
      const started = Date.now();
      const wait = waiter.waitFor(id, { interval: 60, timeout: 20 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await writer.storeResult(id, 7, 'SUCCESS');
      expect((await wait).result).toBe(7);
      // Polls (1 ms doubling) would have come at 1023 and 2047 ms; the wake came with the write.
      expect(Date.now() - started).toBeLessThan(1950);
      await expect.poll(() => heard).toContain(id);
    } finally {
      await listener.end();
      await waiter.close();
      await writer.close();
    }
  });
});
