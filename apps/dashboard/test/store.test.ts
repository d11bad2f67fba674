/**
 * The recorder and both event stores without a broker: the shared suite (`store-suite.ts`) on a
 * SQLite file and on the real PostgreSQL server (127.0.0.1:5432, database `test`, a schema of its
 * own per store, dropped after); a SQLite file of schema version 1 gets its search index; the
 * store is picked by the `db` option; and the repr parser that retry relies on.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { EventStoreError, openEventStore, parsePythonLiteral, PostgresEventStore, SqliteEventStore, taskArguments } from '@cq/dashboard';
import { describeEventStore, ev, recorderOn } from './store-suite.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-dashboard-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = (): string => path.join(dir, `store-${files++}.db`);

/** The shared PostgreSQL server; CQ_TEST_POSTGRES overrides it. */
const POSTGRES = process.env['CQ_TEST_POSTGRES'] ?? 'postgresql://postgres@127.0.0.1:5432';
const PG_DB = `${POSTGRES}/test`;

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_DB });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describeEventStore('SQLite', {
  location: async () => {
    const file = newFile();
    return { open: async (tuning = {}) => new SqliteEventStore(file, tuning), dispose: async () => rmSync(file, { force: true }) };
  },
  plans: {
    newest: /SCAN tasks USING INDEX tasks_by_timestamp/,
    state: /USING INDEX tasks_by_state/,
    name: /USING INDEX tasks_by_name/,
    worker: /USING INDEX tasks_by_worker/,
    received: /USING INDEX tasks_by_received/,
    search: /tasks_search VIRTUAL TABLE INDEX/,
    // A full sort or a table scan; "USE TEMP B-TREE FOR LAST TERM OF ORDER BY" (ties of the
    // timestamp put in insertion order, block by block as the index is read) is fine.
    forbidden: /USE TEMP B-TREE FOR ORDER BY|SCAN tasks$|SCAN tasks \|/,
  },
});

describeEventStore('PostgreSQL', {
  location: async () => {
    const schema = `cq_dash_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    return {
      open: async (tuning = {}) => new PostgresEventStore(`${PG_DB}?schema=${schema}`, tuning).open(),
      dispose: () => sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
    };
  },
  plans: {
    newest: /Index Scan Backward using tasks_by_timestamp/,
    state: /Index Scan Backward using tasks_by_state/,
    name: /Index Scan Backward using tasks_by_name/,
    worker: /Index Scan Backward using tasks_by_worker/,
    received: /Index Scan using tasks_by_received/,
    search: /Bitmap Index Scan on tasks_search/,
    forbidden: /Sort|Seq Scan/,
  },
});

describe('choosing and opening a store', () => {
  it('takes a postgresql:// or postgres:// URL as PostgreSQL and anything else as a SQLite file', async () => {
    const sqlite = openEventStore(newFile());
    expect(sqlite).toBeInstanceOf(SqliteEventStore);
    await sqlite.close();
    const postgres = openEventStore('postgres://u:secret@127.0.0.1:1/db?schema=abc');
    expect(postgres).toBeInstanceOf(PostgresEventStore);
    expect(postgres.location).not.toContain('secret');
    expect((postgres as PostgresEventStore).schema).toBe('abc');
    await postgres.close();
  });

  it('refuses a bad schema name and reports an unreachable server as EventStoreError', async () => {
    expect(() => new PostgresEventStore(`${PG_DB}?schema=Bad-Name`)).toThrow(EventStoreError);
    const store = new PostgresEventStore('postgresql://postgres@127.0.0.1:1/test');
    await expect(store.open()).rejects.toThrow(/cannot open the dashboard store postgresql:\/\/postgres@127\.0\.0\.1:1\/test/);
    await store.close();
  });

  it('builds the search index of a SQLite file written by schema version 1', async () => {
    const file = newFile();
    const v1 = new Database(file);
    // The version-1 tables, as the first release wrote them (no tasks_search).
    v1.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE tasks (uuid TEXT PRIMARY KEY, name TEXT, state TEXT NOT NULL, worker TEXT, client TEXT, timestamp REAL, clock INTEGER NOT NULL DEFAULT 0,
        sent REAL, received REAL, started REAL, succeeded REAL, failed REAL, retried REAL, revoked REAL, rejected REAL,
        args TEXT, kwargs TEXT, eta TEXT, expires TEXT, retries INTEGER, result TEXT, exception TEXT, traceback TEXT, runtime REAL,
        exchange TEXT, routing_key TEXT, root_id TEXT, parent_id TEXT, extra TEXT, recorded REAL NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
      INSERT INTO tasks (uuid, name, state, args, recorded) VALUES ('old-1', 'proj.old', 'SUCCESS', '(''needle'',)', 1), ('old-2', 'proj.old', 'SUCCESS', '()', 1);`);
    v1.close();
    const store = new SqliteEventStore(file);
    try {
      expect(await store.explain({ search: 'needle' })).toMatch(/tasks_search/);
      expect((await store.tasks({ search: 'needle' })).map((r) => r.uuid)).toEqual(['old-1']);
      const recorder = recorderOn(store);
      recorder.record(ev('task-received', { uuid: 'new-1', name: 'proj.new', args: "('needle too',)", kwargs: '{}' }, 1_700_000_000));
      await recorder.flush();
      expect((await store.tasks({ search: 'needle' })).map((r) => r.uuid)).toEqual(['new-1', 'old-1']);
      expect(store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe('2');
    } finally {
      await store.close();
    }
  });
});

describe('reading arguments back from their reprs', () => {
  it('parses what Python and cq write for args and kwargs', () => {
    expect(parsePythonLiteral("(2, 'a', None, True, -1.5e3, [1, (2,)], {'k': \"v\\n\"})")).toEqual([2, 'a', null, true, -1500, [1, [2]], { k: 'v\n' }]);
    expect(parsePythonLiteral('()')).toEqual([]);
    expect(parsePythonLiteral("'\\x41\\u00e9'")).toBe('Aé');
    expect(taskArguments('[1, 2]', "{'x': False}")).toEqual({ args: [1, 2], kwargs: { x: false } });
    expect(taskArguments(null, null)).toEqual({ args: [], kwargs: {} });
  });

  it('refuses a truncated or non-literal repr', () => {
    expect(() => parsePythonLiteral("('aaaa', ...")).toThrow(/not a Python literal/);
    expect(() => parsePythonLiteral('(<object at 0x1>,)')).toThrow(/not a Python literal/);
    expect(() => taskArguments("{'a': 1}", null)).toThrow(/args is not a list/);
  });
});
