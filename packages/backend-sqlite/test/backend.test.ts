import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendConfigurationError, BackendRegistry, UnsafePickleError, loadsPickle } from '@cq/backend';
import { describeBackend, describeDatabaseBackend } from '@cq/backend/testing';
import { databaseInteropPython, spawnTracked } from '@cq/tooling/testing';
import SqliteBackendDefault, { SqliteBackend, SqliteUrlError, sqliteBackend } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cq-backend-sqlite-'));
const file = join(dir, 'nested', 'results.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBackend('sqlite', (options) => new SqliteBackend({ ...options, url: `sqlite:///${file}` }), { storesRelations: false });

const shared = join(dir, 'shared', 'interop.db');
mkdirSync(dirname(shared), { recursive: true });
describeDatabaseBackend('sqlite', {
  factory: (options) => new SqliteBackend({ ...options, url: `db+sqlite:///${shared}` }),
  pythonUrl: `db+sqlite:///${shared}`,
  runPython: databaseInteropPython(['celery', 'sqlalchemy']),
  prefix: 'cqt_sqlite_io',
});

describe('sqlite backend storage', () => {
  it('creates the parent directory and uses WAL', async () => {
    const backend = SqliteBackend.fromUrl(`db+sqlite:///${join(dir, 'a', 'b', 'r.db')}`);
    expect(existsSync(join(dir, 'a', 'b', 'r.db'))).toBe(true);
    await backend.close();
    const db = new Database(join(dir, 'a', 'b', 'r.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('writes rows in the layout of Celery\'s database backend, the result pickled', async () => {
    const backend = new SqliteBackend({ filename: file, extended: true });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, { n: 1 }, { task: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, hostname: 'w1@h', retries: 1, deliveryInfo: { routingKey: 'celery' } });
    await backend.saveGroup('grp-1', [['grp-1', null], [[[taskId, null], null]]]);
    await backend.close();
    const db = new Database(file, { readonly: true });
    const row = db.prepare('SELECT * FROM celery_taskmeta WHERE task_id = ?').get(taskId) as Record<string, unknown>;
    expect(Object.keys(row)).toEqual(['id', 'task_id', 'status', 'result', 'date_done', 'traceback', 'name', 'args', 'kwargs', 'worker', 'retries', 'queue']);
    expect(row).toMatchObject({ status: 'SUCCESS', traceback: null, name: 'tasks.add', worker: 'w1@h', retries: 1, queue: 'celery' });
    expect(typeof row.id).toBe('number');
    // pickle.dumps({'n': 1}, 5), as SQLAlchemy's PickleType stores it
    expect((row.result as Buffer).toString('hex')).toBe('8005950a000000000000007d948c016e944b01732e');
    expect((row.args as Buffer).toString()).toBe('[2,3]');
    expect((row.kwargs as Buffer).toString()).toBe('{"k":"v"}');
    expect(row.date_done).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    const group = db.prepare('SELECT * FROM celery_tasksetmeta WHERE taskset_id = ?').get('grp-1') as Record<string, unknown>;
    expect(Object.keys(group)).toEqual(['id', 'taskset_id', 'result', 'date_done']);
    const stored = loadsPickle(group.result as Buffer, { mode: 'symbolic' }) as { callable: { qualifiedName: string }; args: unknown[] };
    expect(stored.callable.qualifiedName).toBe('celery.result.GroupResult');
    expect(stored.args[0]).toBe('grp-1');
    db.close();
  });

  it('reads rows another writer made: a pickle, and JSON as cq 0.1 wrote it', async () => {
    const db = new Database(file);
    db.prepare(`INSERT INTO celery_taskmeta (task_id, status, result, date_done, traceback) VALUES (?, 'FAILURE', ?, ?, ?)`)
      .run('json-1', Buffer.from('{"exc_type": "KeyError", "exc_message": ["k"], "exc_module": "builtins"}'), '2026-11-22 05:55:20.378644', 'Traceback ...');
    db.prepare(`INSERT INTO celery_taskmeta (task_id, status, result) VALUES ('py-pickle', 'SUCCESS', ?)`).run(Buffer.from([0x80, 0x05, 0x4b, 0x05, 0x2e]));
    // pickle.dumps(os.system-calling object): refused, as every GLOBAL/REDUCE is
    db.prepare(`INSERT INTO celery_taskmeta (task_id, status, result) VALUES ('py-evil', 'SUCCESS', ?)`)
      .run(Buffer.from('80049520000000000000008c05706f736978948c0673797374656d9493948c0474727565948594529452942e', 'hex'));
    db.close();
    const backend = new SqliteBackend({ filename: file });
    expect(await backend.getTaskMeta('json-1')).toEqual({
      status: 'FAILURE', result: { exc_type: 'KeyError', exc_message: ['k'], exc_module: 'builtins' },
      traceback: 'Traceback ...', children: [], date_done: '2026-11-22T05:55:20.378644', task_id: 'json-1',
    });
    expect(await backend.getResult('py-pickle')).toBe(5);
    await expect(backend.getTaskMeta('py-evil')).rejects.toBeInstanceOf(UnsafePickleError);
    await backend.close();
  });

  it('reads a results file written by cq 0.1 (JSON cells) and writes pickles into it from then on', async () => {
    const legacy = join(dir, 'legacy', 'results.db');
    mkdirSync(dirname(legacy), { recursive: true });
    copyFileSync(fileURLToPath(new URL('./fixtures/cq-0.1-results.db', import.meta.url)), legacy);
    const backend = new SqliteBackend({ url: `sqlite:///${legacy}`, extended: true });
    expect(await backend.getTaskMeta('legacy-success')).toMatchObject({
      status: 'SUCCESS', result: { list: [1, 2.5, 'three', null, true], nested: { deep: [{ x: -1 }] }, text: 'héllo ✓' },
      name: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, worker: 'w1@host', retries: 1, queue: 'celery',
      date_done: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
    });
    expect(await backend.getResult('legacy-failure')).toMatchObject({ name: 'TypeError', message: 'bad arg', traceback: 'Traceback (most recent call last): ...' });
    expect(await backend.getTaskMeta('legacy-started')).toMatchObject({ status: 'STARTED', result: { pid: 4242, hostname: 'w1@host' }, date_done: null });
    expect(await backend.restoreGroup('legacy-group')).toMatchObject({
      group_id: 'legacy-group', result: [['legacy-group', null], [[['legacy-success', null], null], [['legacy-failure', null], null]]],
    });
    // the old file keeps working: a new state of an old task, and a new task, are pickled
    await backend.markAsDone('legacy-started', { finished: true });
    await backend.markAsDone('new-task', [1, 2]);
    expect(await backend.getResult('legacy-started')).toEqual({ finished: true });
    expect(await backend.getResult('new-task')).toEqual([1, 2]);
    await backend.close();
    const db = new Database(legacy, { readonly: true });
    const cells = db.prepare(`SELECT task_id, result FROM celery_taskmeta ORDER BY task_id`).all() as Array<{ task_id: string; result: Buffer }>;
    expect(cells.map((c) => [c.task_id, c.result[0] === 0x80])).toEqual([
      ['legacy-failure', false], ['legacy-started', true], ['legacy-success', false], ['new-task', true],
    ]);
    db.close();
  });

  it('adds the extended columns to a table created without them', async () => {
    const old = join(dir, 'old.db');
    const db = new Database(old);
    db.exec(`CREATE TABLE celery_taskmeta (id INTEGER NOT NULL, task_id VARCHAR(155), status VARCHAR(50), result BLOB,
      date_done DATETIME, traceback TEXT, PRIMARY KEY (id), UNIQUE (task_id))`);
    db.close();
    const backend = new SqliteBackend({ filename: old, extended: true });
    await backend.markAsDone('t', 1, { task: 'x.y' });
    expect(await backend.getTaskMeta('t')).toMatchObject({ status: 'SUCCESS', name: 'x.y' });
    await backend.close();
  });

  it('honours custom table names (database_table_names)', async () => {
    const backend = new SqliteBackend({ filename: file, tableNames: { task: 'my tasks', group: 'my_groups' } });
    await backend.markAsDone('custom', 'ok');
    await backend.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT status FROM "my tasks" WHERE task_id = ?').get('custom')).toEqual({ status: 'SUCCESS' });
    db.close();
  });

  it('works in memory and refuses a path it cannot open', async () => {
    const a = new SqliteBackend({ url: 'sqlite://:memory:' });
    await a.markAsDone('m', 1);
    expect(await a.getResult('m')).toBe(1);
    await a.close();
    expect(() => new SqliteBackend({ filename: dir })).toThrow(BackendConfigurationError);
    expect(() => new SqliteBackend({ url: 'sqlite://results.db' })).toThrow(SqliteUrlError);
  });

  it('is created through the registry its plugin fills', async () => {
    expect(SqliteBackendDefault).toBe(SqliteBackend);
    const registry = new BackendRegistry();
    sqliteBackend().install({ backends: registry });
    const backend = await registry.create(`sqlite:///${file}`, { extended: true });
    expect(backend).toBeInstanceOf(SqliteBackend);
    expect((backend as SqliteBackend).filename).toBe(file);
    expect(backend.extended).toBe(true);
    expect(backend.supportsAutoexpire).toBe(false);
    await backend.close();
    const driverForm = await registry.create(`db+sqlite+pysqlite:///${file}`, { settings: { database_table_names: { task: 'via_settings', group: 'via_settings_g' } } });
    expect(driverForm).toBeInstanceOf(SqliteBackend);
    await driverForm.markAsDone('via-settings', 1);
    await driverForm.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT status FROM via_settings WHERE task_id = ?').get('via-settings')).toEqual({ status: 'SUCCESS' });
    db.close();
  });
});

describe('sqlite backend across processes', () => {
  it('waitFor sees a result stored by another process', async () => {
    const taskId = randomUUID();
    const backend = new SqliteBackend({ filename: file });
    const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const child = spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', writer, file, taskId, '200'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const meta = await backend.waitFor(taskId, { timeout: 20, interval: 0.05 });
    expect(meta.status).toBe('SUCCESS');
    expect(meta.result).toMatchObject({ from: 'child' });
    expect((meta.result as { pid: number }).pid).not.toBe(process.pid);
    expect(await exited).toBe(0);
    await backend.close();
  });

  it('keeps a SUCCESS when another process writes later', async () => {
    const taskId = randomUUID();
    const backend = new SqliteBackend({ filename: file });
    await backend.markAsDone(taskId, 'first');
    const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const child = spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', writer, file, taskId, '0'], { stdio: 'inherit' });
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(await backend.getTaskMeta(taskId)).toMatchObject({ status: 'SUCCESS', result: 'first' });
    await backend.close();
  });
});
