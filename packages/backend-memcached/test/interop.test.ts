/**
 * Interop with real Python Celery (Debian's `/usr/bin/python3`, celery 5.2, pylibmc 1.6) on private
 * memcached servers: the shared key-value interop suite (each side reads what the other stored,
 * failures with their exception type and message), then what depends on pylibmc: the item flags,
 * compressed and pickled items, a waiting `AsyncResult.get()`, a chord Python started, and key
 * placement over two servers.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeKeyValueInterop } from '@cq/backend/testing';
import { PYTHON, databaseInteropPython, requirePython, spawnTracked, stopTracked } from '@cq/tooling/testing';
import { MemcachedBackend, MemcachedValueError, serverIndex } from '../src/index.js';
import { inspectItem, startMemcached, type PrivateMemcached } from './private-memcached.js';

const runPython = databaseInteropPython(['celery', 'pylibmc']);
let mc: PrivateMemcached;
let second: PrivateMemcached;
beforeAll(async () => { [mc, second] = await Promise.all([startMemcached(), startMemcached()]); });
afterAll(async () => { await Promise.all([mc?.stop(), second?.stop()]); });

describeKeyValueInterop('memcached', {
  factory: (options) => new MemcachedBackend({ ...options, url: mc.url }),
  python: () => ({ url: mc.url }),
  runPython,
});

/** Runs `body` with `app` on `url` and `arg` (JSON) bound; resolves with the JSON it prints last (null: nothing). */
async function python<T>(url: string, body: string, arg: unknown = null): Promise<T> {
  const script = `import json, sys\nfrom celery import Celery\napp = Celery(backend=sys.argv[1])\narg = json.loads(sys.argv[2])\n${body}`;
  const out = await runPython(script, [url, JSON.stringify(arg)]);
  return JSON.parse(out.trim().split('\n').pop() || 'null') as T;
}

describe('memcached interop with pylibmc', () => {
  let backend: MemcachedBackend;
  beforeAll(() => { backend = new MemcachedBackend({ url: mc.url }); });
  afterAll(async () => { await backend.close(); });

  it('pylibmc hands what cq stored to Celery as str (flag 16), as Celery stores it itself', async () => {
    const [ours, theirs] = [randomUUID(), randomUUID()];
    await backend.markAsDone(ours, 'x');
    await python(mc.url, `app.backend.store_result(arg, 'x', 'SUCCESS')`, theirs);
    const types = await python<string[]>(mc.url, `print(json.dumps([type(app.backend.client.get('celery-task-meta-' + i)).__name__ for i in arg]))`, [ours, theirs]);
    expect(types).toEqual(['str', 'str']);
    expect((await inspectItem(mc.port, `celery-task-meta-${theirs}`))!.flags).toBe(16);
  });

  it('reads a meta pylibmc compressed (flags 8|16) and refuses a pickled item without unpickling', async () => {
    const [zipped, pickled] = [randomUUID(), randomUUID()];
    await python(mc.url, `
c = app.backend.client
meta = {'status': 'SUCCESS', 'result': 'z' * 2000, 'traceback': None, 'children': [], 'date_done': None, 'task_id': arg[0]}
c.set('celery-task-meta-' + arg[0], json.dumps(meta), 60, min_compress_len=1)
c.set('celery-task-meta-' + arg[1], {'status': 'SUCCESS'}, 60)`, [zipped, pickled]);
    expect((await inspectItem(mc.port, `celery-task-meta-${zipped}`))!.flags).toBe(16 | 8);
    expect(await backend.getResult(zipped)).toBe('z'.repeat(2000));
    expect((await inspectItem(mc.port, `celery-task-meta-${pickled}`))!.flags).toBe(1);
    await expect(backend.getTaskMeta(pickled)).rejects.toBeInstanceOf(MemcachedValueError);
  });

  it("a Python client waiting in AsyncResult.get() gets cq's value, then cq's failure raised as ValueError with its message", async () => {
    requirePython(['celery', 'pylibmc']);
    const [ok, failed] = [randomUUID(), randomUUID()];
    const script = `
import json, sys
from celery import Celery
app = Celery(backend=sys.argv[1])
print('waiting', flush=True)
print(json.dumps(app.AsyncResult(sys.argv[2]).get(timeout=20)), flush=True)
try:
    app.AsyncResult(sys.argv[3]).get(timeout=20)
except Exception as exc:
    print(json.dumps([type(exc).__name__, str(exc)]), flush=True)`;
    const child = spawnTracked(PYTHON, ['-c', script, mc.url, ok, failed], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    const waiting = new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('waiting')) resolve();
    }));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waiting;
      await new Promise((resolve) => setTimeout(resolve, 300)); // let get() poll a PENDING first
      await backend.markAsDone(ok, { from: 'cq', n: [1, 2] });
      await backend.markAsFailure(failed, new RangeError('out of range'));
      expect(await exited).toBe(0);
      expect(stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as unknown)).toEqual([{ from: 'cq', n: [1, 2] }, ['ValueError', 'out of range']]);
    } finally {
      await stopTracked(child, { graceMs: 1000 });
    }
  });

  it('joins a chord Python started: Python and cq workers count on one counter, the last part gets every result', async () => {
    const groupId = randomUUID();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await python(mc.url, `
from celery.app.task import Context
app.backend.apply_chord((arg['group'], [app.AsyncResult(i) for i in arg['ids']]), None)
app.backend.store_result(arg['ids'][0], 'py', 'SUCCESS')
body = {'task': 'tasks.body', 'args': [], 'kwargs': {}, 'options': {}, 'subtask_type': None, 'immutable': False}
app.backend.on_chord_part_return(Context({'id': arg['ids'][0], 'group': arg['group'], 'chord': body}), 'SUCCESS', 'py')`, { group: groupId, ids });
    expect(await inspectItem(mc.port, `chord-unlock-${groupId}`)).toMatchObject({ value: '1', flags: 4 }); // pylibmc's int
    await backend.markAsDone(ids[1]!, 'cq');
    expect(await backend.onChordPartReturn({ id: ids[1]!, group: groupId, groupIndex: 1 }, 'SUCCESS', 'cq')).toBeNull();
    await backend.markAsFailure(ids[2]!, new TypeError('bad arg'));
    expect(await backend.onChordPartReturn({ id: ids[2]!, group: groupId, groupIndex: 2 }, 'FAILURE', new TypeError('bad arg'))).toEqual([
      { taskId: ids[0], state: 'SUCCESS', result: 'py' },
      { taskId: ids[1], state: 'SUCCESS', result: 'cq' },
      { taskId: ids[2], state: 'FAILURE', result: { exc_type: 'TypeError', exc_message: ['bad arg'], exc_module: 'builtins' } },
    ]);
    expect(await inspectItem(mc.port, `chord-unlock-${groupId}`)).toBeNull();
    expect(await backend.restoreGroup(groupId)).toBeNull();
    // a group that was never saved (a chord joined by celery.chord_unlock): nothing is counted
    const unsaved = randomUUID();
    expect(await backend.onChordPartReturn({ id: randomUUID(), group: unsaved, groupIndex: 0 }, 'SUCCESS', 1)).toBeNull();
    expect(await inspectItem(mc.port, `chord-unlock-${unsaved}`)).toBeNull();
  });

  it('starts a chord Python workers can join: the header saved as Python restores it, one counter from 0', async () => {
    const groupId = randomUUID();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    expect(await backend.applyChord(groupId, 3, ids)).toBe(true);
    await backend.markAsDone(ids[0]!, 'cq');
    expect(await backend.onChordPartReturn({ id: ids[0]!, group: groupId, groupIndex: 0 }, 'SUCCESS', 'cq')).toBeNull();
    // A Python worker's on_chord_part_return restores the group and INCRs the same counter.
    const seen = await python<{ ids: string[]; count: number }>(mc.url, `
deps = app.GroupResult.restore(arg['group'], backend=app.backend)
app.backend.store_result(arg['ids'][1], 'py', 'SUCCESS')
count = app.backend.client.incr(app.backend.get_key_for_chord(arg['group']))
print(json.dumps({'ids': [r.id for r in deps.results], 'count': count}))`, { group: groupId, ids });
    expect(seen).toEqual({ ids, count: 2 });
    await backend.markAsDone(ids[2]!, 'cq');
    expect(await backend.onChordPartReturn({ id: ids[2]!, group: groupId, groupIndex: 2 }, 'SUCCESS', 'cq')).toEqual([
      { taskId: ids[0], state: 'SUCCESS', result: 'cq' },
      { taskId: ids[1], state: 'SUCCESS', result: 'py' },
      { taskId: ids[2], state: 'SUCCESS', result: 'cq' },
    ]);
  });

  it('puts every key on the server pylibmc picks among two, and both sides read all of them', async () => {
    const url = `cache+memcached://127.0.0.1:${mc.port};127.0.0.1:${second.port}/`;
    const ports = [mc.port, second.port];
    const two = new MemcachedBackend({ url });
    // non-ASCII ids too: libmemcached hashes their bytes sign-extended (a C char), which a plain port gets wrong half the time
    const ids = () => Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? `ünï-${randomUUID()}` : randomUUID()));
    const [ours, theirs] = [ids(), ids()];
    for (const id of ours) await two.markAsDone(id, id);
    await python(url, `for i in arg: app.backend.store_result(i, i, 'SUCCESS')`, theirs);
    const placed = async (id: string) => {
      const key = `celery-task-meta-${id}`;
      const found = await Promise.all(ports.map((port) => inspectItem(port, key)));
      return [found.findIndex((item) => item !== null), serverIndex(key, 2), found.filter(Boolean).length];
    };
    for (const id of [...ours, ...theirs]) {
      const [at, expected, copies] = await placed(id);
      expect({ id, at, copies }).toEqual({ id, at: expected, copies: 1 });
    }
    expect(new Set(await Promise.all(theirs.map(async (id) => (await placed(id))[0]))).size).toBe(2);
    const read = await python<string[]>(url, `print(json.dumps([app.AsyncResult(i).result for i in arg]))`, ours);
    expect(read).toEqual(ours);
    expect((await two.getManyTaskMeta(theirs)).map((m) => m.result)).toEqual(theirs);
    await two.close();
  });
});
