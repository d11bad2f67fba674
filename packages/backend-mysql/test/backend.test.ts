/**
 * The MySQL result backend against the MariaDB on 127.0.0.1:3306 (database `test`, created when
 * missing): the shared conformance suite, the interop suite with Python Celery's DatabaseBackend
 * (PyMySQL), and what is MySQL's own (URLs, schemas, the 64 KiB BLOB, the plugin). Tables are
 * `cqt_my_<random>_*`, dropped afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendRegistry, BackendStoreError } from '@cq/backend';
import { describeBackend, describeDatabaseBackend } from '@cq/backend/testing';
import { databaseInteropPython } from '@cq/tooling/testing';
import MysqlBackendDefault, { MysqlBackend, MysqlUrlError, mysqlBackend, parseMysqlUrl } from '../src/index.js';
import { URL, sql } from './database.js';

const run = randomUUID().slice(0, 8);
const tableNames = { task: `cqt_my_${run}_task`, group: `cqt_my_${run}_group` };
const schema = `cqt_my_${run}`;

beforeAll(async () => {
  await sql('SELECT 1'); // creates the test database when missing
});

afterAll(async () => {
  await sql(`DROP TABLE IF EXISTS test.\`${tableNames.task}\`, test.\`${tableNames.group}\``);
  await sql(`DROP DATABASE IF EXISTS \`${schema}\``);
});

describeBackend('mysql', (options) => new MysqlBackend({ ...options, url: URL, tableNames }), { storesRelations: false });

describeDatabaseBackend('mysql', {
  factory: (options) => new MysqlBackend({ ...options, url: URL }),
  pythonUrl: 'db+mysql+pymysql://root@127.0.0.1:3306/test',
  runPython: databaseInteropPython(['celery', 'sqlalchemy', 'pymysql']),
  prefix: `cqt_my_io_${run}`,
});

describe('mysql backend', () => {
  it('reads Celery URL forms and refuses others', () => {
    expect(parseMysqlUrl('db+mysql://u:p%40ss@db.example:3307/results?charset=utf8mb4')).toMatchObject({
      dialect: 'mysql', driver: null, identity: 'mysql://db.example:3307/results',
      connection: { host: 'db.example', port: 3307, user: 'u', password: 'p@ss', database: 'results', charset: 'utf8mb4' },
    });
    expect(parseMysqlUrl('db+mysql+pymysql://root@localhost/test')).toMatchObject({ driver: 'pymysql', connection: { host: 'localhost', port: 3306 } });
    expect(parseMysqlUrl('db+mariadb://root@/test?unix_socket=/run/mysqld/mysqld.sock')).toMatchObject({
      dialect: 'mariadb', connection: { socketPath: '/run/mysqld/mysqld.sock' }, identity: 'mysql:///run/mysqld/mysqld.sock/test',
    });
    expect(() => parseMysqlUrl('mysql://localhost/test')).toThrow(MysqlUrlError);
    expect(() => parseMysqlUrl('db+postgresql://localhost/test')).toThrow(/db\+mysql:\/\/user:password@host:port\/database/);
    expect(() => new MysqlBackend({})).toThrow(/needs a URL/);
  });

  it('is created through the registry its plugin fills, for every URL form', async () => {
    expect(MysqlBackendDefault).toBe(MysqlBackend);
    const registry = new BackendRegistry();
    mysqlBackend().install({ backends: registry });
    for (const url of [URL, 'db+mariadb://root@127.0.0.1:3306/test', 'db+mysql+pymysql://root@127.0.0.1:3306/test', 'db+mysql+mysqldb://root@127.0.0.1:3306/test']) {
      const backend = await registry.create(url, { settings: { database_table_names: tableNames } });
      expect(backend).toBeInstanceOf(MysqlBackend);
      expect((backend as MysqlBackend).tables.group.name).toBe(tableNames.group);
      await backend.markAsDone(`reg-${randomUUID()}`, 1);
      await backend.close();
    }
  });

  it('puts the tables in database_table_schemas (a database)', async () => {
    await sql(`CREATE DATABASE IF NOT EXISTS \`${schema}\``);
    const backend = new MysqlBackend({ url: URL, tableSchemas: { task: schema, group: schema } });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, { in: 'schema' });
    expect(await backend.getResult(taskId)).toEqual({ in: 'schema' });
    await backend.close();
    const rows = await sql(`SELECT status FROM \`${schema}\`.celery_taskmeta WHERE task_id = ?`, [taskId]);
    expect(rows).toEqual([{ status: 'SUCCESS' }]);
  });

  it('keeps a stored SUCCESS when two writers race on a new task', async () => {
    const a = new MysqlBackend({ url: URL, tableNames });
    const b = new MysqlBackend({ url: URL, tableNames });
    try {
      for (let i = 0; i < 20; i++) {
        const taskId = `race-${run}-${i}`;
        const [x, y] = await Promise.all([a.markAsDone(taskId, 'a'), b.markAsDone(taskId, 'b')]);
        expect([x, y].filter(Boolean)).toHaveLength(1);
        expect(await a.markAsFailure(taskId, new Error('late'))).toBe(false);
        expect(await a.getState(taskId)).toBe('SUCCESS');
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fails a result past the 64 KiB BLOB with BackendStoreError, as Celery does', async () => {
    const backend = new MysqlBackend({ url: URL, tableNames });
    const err = await backend.markAsDone(randomUUID(), 'x'.repeat(70_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendStoreError);
    await backend.close();
  });

  it('wraps a connection failure in BackendStoreError', async () => {
    const backend = new MysqlBackend({ url: 'db+mysql://root@127.0.0.1:1/test', tableNames, engineOptions: { pool_timeout: 2 } });
    const err = await backend.markAsDone('x', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendStoreError);
    await backend.close();
  });
});
