import { describe, expect, it } from 'vitest';
import { kombuJson } from '@cq/kombu';
import { MemoryBackend } from './memory.js';
import { describeBackend } from './testing/index.js';

describeBackend('memory', (options) => new MemoryBackend({ ...options, url: 'memory://conformance' }));

/** Exposes the protected store for wire-format checks. */
class PeekBackend extends MemoryBackend {
  raw(key: string) {
    return this.get(key);
  }
  counter(key: string) {
    return this.incr(key);
  }
}

describe('memory backend wire format', () => {
  it('writes celery-task-meta-<id> as JSON in Celery key order', async () => {
    const backend = new PeekBackend({ name: 'wire', extended: true });
    await backend.markAsDone('t1', 5, {
      task: 'tasks.add', args: [2, 3], kwargs: {}, hostname: 'w1@testhost', retries: 0,
      deliveryInfo: { routingKey: 'celery' }, group: 'g1', parentId: 'p1',
    });
    const raw = await backend.raw('celery-task-meta-t1');
    const meta = kombuJson.parse(raw!.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual([
      'status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id',
      'name', 'args', 'kwargs', 'worker', 'retries', 'queue', 'task_id',
    ]);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: 5, name: 'tasks.add', worker: 'w1@testhost', queue: 'celery', task_id: 't1' });
    expect(meta.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  it('writes a group as {"result": tuple} under celery-taskset-meta-<id>, honouring keyPrefix', async () => {
    const backend = new PeekBackend({ name: 'wire', keyPrefix: 'app1:' });
    await backend.saveGroup('g9', [['g9', null], [[['c1', null], null]]]);
    const raw = await backend.raw('app1:celery-taskset-meta-g9');
    expect(kombuJson.parse(raw!.toString('utf8'))).toEqual({ result: [['g9', null], [[['c1', null], null]]] });
  });

  it('reads what Python Celery writes', async () => {
    const python = new PeekBackend({ name: 'py' });
    const text =
      '{"status": "REVOKED", "result": {"exc_type": "TaskRevokedError", "exc_message": ["revoked"], "exc_module": "celery.exceptions"},' +
      ' "traceback": null, "children": [], "date_done": "2026-11-22T06:01:25.960892+00:00", "task_id": "2bf622a8"}';
    await (python as unknown as { set(k: string, v: Buffer, t: number | null): Promise<void> }).set('celery-task-meta-2bf622a8', Buffer.from(text), null);
    const err = await python.getResult('2bf622a8');
    expect(err).toMatchObject({ name: 'TaskRevokedError', message: 'revoked', excModule: 'celery.exceptions' });
    expect(await python.getState('2bf622a8')).toBe('REVOKED');
  });

  it('shares a store by name and keeps names apart', async () => {
    const a = new MemoryBackend({ url: 'memory://alpha' });
    const b = MemoryBackend.fromUrl('cache+memory://alpha');
    const c = new MemoryBackend({ url: 'memory://beta' });
    await a.markAsDone('shared', 1);
    expect(await b.getState('shared')).toBe('SUCCESS');
    expect(await c.getState('shared')).toBe('PENDING');
  });

  it('counts with incr', async () => {
    const backend = new PeekBackend({ name: 'incr' });
    expect([await backend.counter('chord-unlock-g'), await backend.counter('chord-unlock-g')]).toEqual([1, 2]);
  });
});
