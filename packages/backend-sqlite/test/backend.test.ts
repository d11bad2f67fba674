import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendConfigurationError, BackendGetMetaError, createBackend, registerBackend } from '@cq/backend';
import { describeBackend } from '@cq/backend/testing';
import SqliteBackendDefault, { SqliteBackend } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cq-backend-sqlite-'));
const file = join(dir, 'nested', 'results.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBackend('sqlite', (options) => new SqliteBackend({ ...options, url: `sqlite:///${file}` }), { storesRelations: false });

describe('sqlite backend storage', () => {
  it('creates the parent directory and uses WAL', async () => {
    const backend = SqliteBackend.fromUrl(`db+sqlite:///${join(dir, 'a', 'b', 'r.db')}`);
    expect(existsSync(join(dir, 'a', 'b', 'r.db'))).toBe(true);
    await backend.close();
    const db = new Database(join(dir, 'a', 'b', 'r.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('writes rows in the layout of Celery\'s database backend', async () => {
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
    expect((row.result as Buffer).toString()).toBe('{"n":1}');
    expect((row.args as Buffer).toString()).toBe('[2,3]');
    expect((row.kwargs as Buffer).toString()).toBe('{"k":"v"}');
    expect(row.date_done).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    const group = db.prepare('SELECT * FROM celery_tasksetmeta WHERE taskset_id = ?').get('grp-1') as Record<string, unknown>;
    expect(Object.keys(group)).toEqual(['id', 'taskset_id', 'result', 'date_done']);
    expect((group.result as Buffer).toString()).toBe(`[["grp-1",null],[[["${taskId}",null],null]]]`);
    db.close();
  });

  it('reads a row another writer made, with date_done as naive ISO', async () => {
    const db = new Database(file);
    db.prepare(`INSERT INTO celery_taskmeta (task_id, status, result, date_done, traceback) VALUES (?, 'FAILURE', ?, ?, ?)`)
      .run('py-1', Buffer.from('{"exc_type": "KeyError", "exc_message": ["k"], "exc_module": "builtins"}'), '2026-11-22 05:55:20.378644', 'Traceback ...');
    db.prepare(`INSERT INTO celery_taskmeta (task_id, status, result) VALUES ('py-pickle', 'SUCCESS', ?)`).run(Buffer.from([0x80, 0x05, 0x4b, 0x05, 0x2e]));
    db.close();
    const backend = new SqliteBackend({ filename: file });
    expect(await backend.getTaskMeta('py-1')).toEqual({
      status: 'FAILURE', result: { exc_type: 'KeyError', exc_message: ['k'], exc_module: 'builtins' },
      traceback: 'Traceback ...', children: [], date_done: '2026-11-22T05:55:20.378644', task_id: 'py-1',
    });
    await expect(backend.getTaskMeta('py-pickle')).rejects.toBeInstanceOf(BackendGetMetaError);
    await backend.close();
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
  });

  it('is created by the registry through the default export\'s fromUrl', async () => {
    expect(SqliteBackendDefault).toBe(SqliteBackend);
    registerBackend('sqlite', () => import('../src/index.js').then((m) => m.default));
    const backend = await createBackend(`sqlite:///${file}`, { extended: true });
    expect(backend).toBeInstanceOf(SqliteBackend);
    expect((backend as SqliteBackend).filename).toBe(file);
    expect(backend.extended).toBe(true);
    await backend.close();
  });
});

describe('sqlite backend across processes', () => {
  it('waitFor sees a result stored by another process', async () => {
    const taskId = randomUUID();
    const backend = new SqliteBackend({ filename: file });
    const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', writer, file, taskId, '200'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const meta = await backend.waitFor(taskId, { timeout: 20_000, interval: 50 });
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
    const child = spawn(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', writer, file, taskId, '0'], { stdio: 'inherit' });
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(await backend.getTaskMeta(taskId)).toMatchObject({ status: 'SUCCESS', result: 'first' });
    await backend.close();
  });
});
