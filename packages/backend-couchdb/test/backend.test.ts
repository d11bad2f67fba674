/**
 * CouchDBBackend against pouchdb-server (started here in memory on a free port, stopped after the
 * file): the shared conformance suite, then the documents and requests Celery's CouchBackend makes.
 *
 * No Python CouchDB client is installable here (Debian has none), so the Celery side is taken from
 * its source, Debian's python3-celery 5.2.6 (/usr/lib/python3/dist-packages/celery/backends/couchdb.py):
 * - 29-34, 43-53: defaults container 'default', scheme 'http' (never taken from the URL), host
 *   'localhost', port 5984, user/password from the URL;
 * - 57-69: Basic auth only when user and password are both set; `server.database(container)`, and
 *   on NotFound `server.create(container)` (pycouchdb: HEAD /<db>, then PUT /<db>);
 * - 77-82 (get): `connection.get(key)['value']`, NotFound → None;
 * - 84-93 (set): `save({'_id': key, 'value': value})` (PUT /<db>/<key>); on Conflict `get(key)`, set
 *   `value`, `save(data)` again (the PUT now carries the `_rev` it read);
 * - 98-99 (delete): `connection.delete(key)` (pycouchdb: the current rev, then DELETE ?rev=);
 * - base.py 812-815, 853-865, 944-970: keys `celery-task-meta-<id>` / `celery-taskset-meta-<id>`,
 *   value `self.encode(meta)` — the JSON text of `{status, result, traceback, children, date_done,
 *   [group_id, parent_id,] task_id}`, a group as `{'result': as_tuple()}`.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendGetMetaError, BackendNotInstalledError, BackendRegistry, BackendStoreError } from '@cq/backend';
import { describeBackend } from '@cq/backend/testing';
import { freePort } from '@cq/tooling/testing';
import CouchDefault, { CouchDBBackend, CouchDBRequestError, CouchDBUrlError, couchdbBackend } from '../src/index.js';
import { startPouchdbServer, type PouchdbServer } from './pouchdb-server.js';

let server: PouchdbServer;
let base: string;

beforeAll(async () => {
  server = await startPouchdbServer();
  base = `couchdb://127.0.0.1:${server.port}`;
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describeBackend('couchdb', (o) => new CouchDBBackend({ url: `${base}/cq-conformance`, ...o }));

/** GET on the server, as JSON. */
async function raw(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.endpoint}${path}`, { ...init, headers: { 'Content-Type': 'application/json', ...init?.headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The requests the server logged on `path` (method, status), once at least `count` are there. */
async function logged(path: string, count: number): Promise<string[]> {
  for (let i = 0; ; i++) {
    const lines = readFileSync(server.logFile, 'utf8').split('\n')
      .map((line) => / - - (\w+) (\S+) (\d+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && m[2]!.split('?')[0] === path)
      .map((m) => `${m[1]} ${m[3]}`);
    if (lines.length >= count || i > 50) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('couchdb backend, as Celery writes documents', () => {
  it('creates the missing database (HEAD 404, PUT), then stores {_id: key, value: <meta JSON text>}', async () => {
    expect((await raw('/cq-fresh')).status).toBe(404);
    const backend = CouchDBBackend.fromUrl(`${base}/cq-fresh`);
    const taskId = randomUUID();
    await backend.markAsDone(taskId, { n: [1, { x: 'ü' }] }, { group: 'g-1', parentId: 'p-1' });
    expect(await logged('/cq-fresh', 3)).toEqual(['GET 404', 'HEAD 404', 'PUT 201']); // the test's GET, then the backend
    const doc = await raw(`/cq-fresh/celery-task-meta-${taskId}`);
    expect(Object.keys(doc.body).sort()).toEqual(['_id', '_rev', 'value']);
    expect(doc.body._id).toBe(`celery-task-meta-${taskId}`);
    expect(doc.body._rev).toMatch(/^1-/);
    expect(typeof doc.body.value).toBe('string');
    const meta = JSON.parse(doc.body.value as string) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id', 'task_id']);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: { n: [1, { x: 'ü' }] }, traceback: null, children: [], group_id: 'g-1', parent_id: 'p-1', task_id: taskId });
    expect(meta.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    await backend.close();
  });

  it('overwrites as Celery: PUT, 409 conflict, GET the document, PUT it back with its _rev', async () => {
    const backend = CouchDBBackend.fromUrl(`${base}/cq-conformance`);
    const taskId = randomUUID();
    const path = `/cq-conformance/celery-task-meta-${taskId}`;
    await backend.markAsStarted(taskId, { pid: 7, hostname: 'w' });
    await backend.markAsDone(taskId, 'done');
    // The template reads the current meta first (Celery's SUCCESS check), then sets.
    expect(await logged(path, 6)).toEqual(['GET 404', 'PUT 201', 'GET 200', 'PUT 409', 'GET 200', 'PUT 201']);
    const doc = await raw(path);
    expect(doc.body._rev).toMatch(/^2-/);
    expect(JSON.parse(doc.body.value as string)).toMatchObject({ status: 'SUCCESS', result: 'done' });
    await backend.close();
  });

  it('reads documents as Python Celery writes them (kombu json text, spaces after separators)', async () => {
    const backend = CouchDBBackend.fromUrl(`${base}/cq-conformance`);
    const [taskId, groupId] = [randomUUID(), randomUUID()];
    const value = `{"status": "FAILURE", "result": {"exc_type": "KeyError", "exc_message": ["k\\u00e9y"], "exc_module": "builtins"}, ` +
      `"traceback": "Traceback ...", "children": [], "date_done": "2026-11-22T05:55:20.378644+00:00", "task_id": "${taskId}"}`;
    await raw(`/cq-conformance/celery-task-meta-${taskId}`, { method: 'PUT', body: JSON.stringify({ _id: `celery-task-meta-${taskId}`, value }) });
    await raw(`/cq-conformance/celery-taskset-meta-${groupId}`, {
      method: 'PUT', body: JSON.stringify({ _id: `celery-taskset-meta-${groupId}`, value: `{"result": [["${groupId}", null], [[["${taskId}", null], null]]]}` }),
    });
    expect(await backend.getResult(taskId)).toMatchObject({ name: 'KeyError', message: 'kéy', traceback: 'Traceback ...' });
    expect(await backend.restoreGroup(groupId)).toMatchObject({ group_id: groupId, result: [[groupId, null], [[[taskId, null], null]]] });
    const [a, missing] = await backend.getManyTaskMeta([taskId, randomUUID()]);
    expect([a!.status, missing!.status]).toEqual(['FAILURE', 'PENDING']);
    await backend.close();
  });

  it('forgets with the current _rev, and puts global_keyprefix before the keys (Celery 5.3+)', async () => {
    const backend = CouchDBBackend.fromUrl(`${base}/cq-conformance`, { settings: { result_backend_transport_options: { global_keyprefix: 'myapp' } } });
    const taskId = randomUUID();
    const path = `/cq-conformance/myapp_celery-task-meta-${taskId}`;
    await backend.markAsDone(taskId, 1);
    expect((await raw(path)).status).toBe(200);
    await backend.forget(taskId);
    expect((await raw(path)).status).toBe(404);
    expect(await logged(path, 6)).toEqual(['GET 404', 'PUT 201', 'GET 200', 'GET 200', 'DELETE 200', 'GET 404']); // with the test's GETs
    await backend.close();
  });

  it('cleanup deletes only task documents whose date_done is older than expires', async () => {
    const backend = CouchDBBackend.fromUrl(`${base}/cq-cleanup`, { expires: 1 });
    const [done, started, groupId] = [randomUUID(), randomUUID(), randomUUID()];
    await backend.markAsDone(done, 'old');
    await backend.markAsStarted(started, { pid: 1 });
    await backend.saveGroup(groupId, [[groupId, null], []]);
    await raw('/cq-cleanup/someone-else', { method: 'PUT', body: JSON.stringify({ value: 'x' }) });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await backend.cleanup();
    const ids = ((await raw('/cq-cleanup/_all_docs')).body.rows as { id: string }[]).map((row) => row.id).sort();
    expect(ids).toEqual([`celery-task-meta-${started}`, `celery-taskset-meta-${groupId}`, 'someone-else'].sort());
    expect(backend.supportsAutoexpire).toBe(false);
    await backend.close();
  });

  it('refuses a binary result serializer (a document holds text)', () => {
    expect(() => new CouchDBBackend({ url: base, serializer: 'msgpack' })).toThrow(CouchDBUrlError);
  });

  it('fails on an unreachable server with BackendGetMetaError / BackendStoreError, the password not in them', async () => {
    const port = await freePort();
    const backend = CouchDBBackend.fromUrl(`couchdb://admin:hunter2@127.0.0.1:${port}/x`);
    expect(backend.url).toBe(`couchdb://admin:**@127.0.0.1:${port}/x`);
    const read = await backend.getTaskMeta(randomUUID()).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(BackendGetMetaError);
    expect((read as Error).message).toContain(`HEAD http://127.0.0.1:${port}/x: ECONNREFUSED`);
    expect((read as Error).cause).toBeInstanceOf(CouchDBRequestError);
    expect(((read as Error).cause as CouchDBRequestError).status).toBeNull();
    const write = await backend.markAsDone(randomUUID(), 1).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(BackendStoreError);
    const forget = await backend.forget(randomUUID()).catch((e: unknown) => e);
    expect(forget).toBeInstanceOf(BackendStoreError);
    for (const err of [read, write, forget]) expect(JSON.stringify([(err as Error).message, String((err as Error).cause)])).not.toContain('hunter2');
    await backend.close();
  });

  it('is created through the registry its plugin fills; without it the error names the package', async () => {
    expect(CouchDefault).toBe(CouchDBBackend);
    const registry = new BackendRegistry();
    const missing = await registry.create(`${base}/x`).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BackendNotInstalledError);
    expect((missing as Error).message).toContain('pnpm add @cq/backend-couchdb');
    expect((missing as Error).message).toContain('couchdbBackend()');
    couchdbBackend().install({ backends: registry });
    const backend = await registry.create(`${base}/cq-conformance`, { expires: 60 });
    expect(backend).toBeInstanceOf(CouchDBBackend);
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 3);
    expect(await backend.getResult(taskId)).toBe(3);
    await backend.close();
  });
});

describe('couchdb backend with credentials', () => {
  // A server of its own: once an admin exists, pouchdb-server 4.2 crashes on an unauthenticated
  // database creation (express-pouchdb: "db.info is not a function") where CouchDB answers 401.
  let secured: PouchdbServer;
  beforeAll(async () => {
    secured = await startPouchdbServer();
    const res = await fetch(`${secured.endpoint}/_config/admins/admin`, { method: 'PUT', body: '"s3cr%t"' });
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await secured?.stop();
  });

  it('sends Basic auth from the URL (password percent-decoded) and is refused 401 with a wrong one', async () => {
    const backend = CouchDBBackend.fromUrl(`couchdb://admin:s3cr%25t@127.0.0.1:${secured.port}/secure`);
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 'ok');
    expect(await backend.getResult(taskId)).toBe('ok');
    const wrong = CouchDBBackend.fromUrl(`couchdb://admin:wr0ng@127.0.0.1:${secured.port}/secure`);
    const err = await wrong.getTaskMeta(taskId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendGetMetaError);
    expect((err as Error).cause).toMatchObject({ status: 401 }); // the database HEAD, which has no body
    expect((err as Error).message).not.toContain('wr0ng');
    await Promise.all([backend.close(), wrong.close()]);
  });
});
