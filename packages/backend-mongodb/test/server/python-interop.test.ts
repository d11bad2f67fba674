/**
 * Python Celery's MongoBackend (Debian's Celery 5.2.6 on pymongo 3.11) and cq on one database:
 * Python reads what cq wrote — results, a failure raised as its Python class, `date_done` as a
 * datetime, a saved group — both through Celery and as raw pymongo documents; cq reads what Python
 * wrote (Celery 5.2's text `date_done` included).
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteTaskError } from '@cq/backend';
import { execFileTracked, requirePython } from '@cq/tooling/testing';
import { MongoBackend } from '../../src/index.js';
import { resultDatabase } from './helpers.js';

const run = promisify(execFileTracked);
const url = resultDatabase('cq_rb_interop');
let python = '';
let backend: MongoBackend;

beforeAll(() => {
  python = requirePython(['celery', 'pymongo']);
  backend = new MongoBackend({ url, extended: true });
});
afterAll(async () => { await backend?.close(); });

/** Runs `code` with `app` (Celery on this database, no broker) and `db` (pymongo) defined; resolves with its last stdout line as JSON. */
async function py(code: string): Promise<any> {
  const script = `
import json, datetime
from celery import Celery
from celery.result import AsyncResult, GroupResult
from pymongo import MongoClient
URL = ${JSON.stringify(url)}
app = Celery('cq_interop', backend=URL, set_as_current=True)
db = MongoClient(URL).get_default_database()
${code}`;
  const { stdout } = await run(python, ['-c', script], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('Python reads what cq wrote', () => {
  it('results, a failure as its Python class, date_done as a datetime, the raw document types', async () => {
    const [ok, failed, started] = [randomUUID(), randomUUID(), randomUUID()];
    await backend.markAsDone(ok, { answer: 42, list: [1, 'two', null], text: 'ünï' }, { task: 'tasks.add', args: [40, 2], kwargs: {}, hostname: 'cq@h', retries: 0 });
    await backend.markAsFailure(failed, new TypeError('bad arg'), 'Traceback (most recent call last): …');
    await backend.markAsStarted(started, { pid: 7, hostname: 'cq@h' });
    const out = await py(`
ok, failed, started = ${JSON.stringify([ok, failed, started])}
r = AsyncResult(ok, app=app)
try:
    AsyncResult(failed, app=app).get(timeout=5)
    raised = None
except Exception as exc:
    raised = [type(exc).__name__, str(exc)]
raw = db['celery_taskmeta'].find_one({'_id': ok})
print(json.dumps({
    'ok': [r.status, r.get(timeout=5), isinstance(r.date_done, datetime.datetime)],
    'failed': [AsyncResult(failed, app=app).status, raised, AsyncResult(failed, app=app).traceback],
    'started': [AsyncResult(started, app=app).status, AsyncResult(started, app=app).info],
    'raw': {k: type(v).__name__ for k, v in raw.items()},
}))
`);
    expect(out.ok).toEqual(['SUCCESS', { answer: 42, list: [1, 'two', null], text: 'ünï' }, true]);
    expect(out.failed).toEqual(['FAILURE', ['TypeError', 'bad arg'], 'Traceback (most recent call last): …']);
    expect(out.started).toEqual(['STARTED', { pid: 7, hostname: 'cq@h' }]);
    expect(out.raw).toEqual({
      _id: 'str', status: 'str', result: 'str', traceback: 'NoneType', children: 'list', date_done: 'datetime',
      name: 'str', args: 'list', kwargs: 'dict', worker: 'str', retries: 'int', queue: 'NoneType',
    });
  });

  it("a saved group, restored by Celery's restore_group (a list of AsyncResult for MongoDB)", async () => {
    const groupId = randomUUID();
    const children = [randomUUID(), randomUUID()];
    await backend.saveGroup(groupId, [[groupId, null], children.map((c) => [[c, null], null])]);
    await backend.markAsDone(children[0]!, 'first');
    const out = await py(`
results = app.backend.restore_group(${JSON.stringify(groupId)})
print(json.dumps({'ids': [r.id for r in results], 'states': [r.status for r in results]}))
`);
    expect(out).toEqual({ ids: children, states: ['SUCCESS', 'PENDING'] });
  });
});

describe('cq reads what Python wrote', () => {
  it('results with 5.2 text dates, a failure as a RemoteTaskError, a saved group', async () => {
    const [ok, failed, groupId] = [randomUUID(), randomUUID(), randomUUID()];
    await py(`
app.backend.mark_as_done(${JSON.stringify(ok)}, {'n': [1, 2.5, None], 's': 'ü'})
try:
    raise ValueError('python says no')
except ValueError as exc:
    app.backend.mark_as_failure(${JSON.stringify(failed)}, exc, traceback='Traceback: python')
GroupResult(${JSON.stringify(groupId)}, [AsyncResult(${JSON.stringify(ok)}, app=app), AsyncResult(${JSON.stringify(failed)}, app=app)], app=app).save()
print(json.dumps(True))
`);
    const meta = await backend.getTaskMeta(ok);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: { n: [1, 2.5, null], s: 'ü' }, task_id: ok });
    expect(typeof meta.date_done).toBe('string');
    expect(Math.abs(Date.parse(`${meta.date_done!.replace(/(\.\d{3})\d*$/, '$1')}Z`) - Date.now())).toBeLessThan(60_000);
    const error = await backend.getResult(failed);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({ name: 'ValueError', message: 'python says no' });
    expect((error as RemoteTaskError).traceback).toBe('Traceback: python');
    expect((await backend.restoreGroup(groupId))?.result).toEqual([[groupId, null], [[[ok, null], null], [[failed, null], null]]]);
  });
});
