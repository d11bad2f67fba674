/**
 * xmap, xstarmap and chunks (Celery `celery.canvas.xmap`/`xstarmap`/`chunks`): their dicts are the
 * ones Python's `add.map(it)`, `add.starmap(it)` and `add.chunks(it, n)` give (`dict(sig)`), read
 * back into their classes, and `chunks(...).group()` is Celery's group of `celery.starmap`
 * signatures. The messages they send are captured on a memory broker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, after_task_publish, type SignatureDict } from '@cq/app';
import { signatureFromDict } from './from-dict.js';
import { Group } from './group.js';
import { Chunks, XMap, XStarmap, chunks, splitChunks, xmap, xstarmap } from './map.js';
import { Signature, signature } from './signature.js';

const app = new Celery('canvas-map', { broker_url: 'memory://' });
const add = app.task('tasks.add', (x: number, y: number) => x + y);
const sent: Array<{ task: unknown; body: unknown; headers: Record<string, unknown> }> = [];
const untrack = after_task_publish.connect(({ headers, body }) => {
  sent.push({ task: headers['task'], body, headers });
}, { dispatchUid: 'cqt.canvas.map.unit' });
afterAll(async () => {
  untrack();
  await app.close();
});

/** `add.s()` as Python writes it. */
const ADD_S: SignatureDict = { task: 'tasks.add', args: [], kwargs: {}, options: {}, subtask_type: null, immutable: false };

describe('dicts, as Python Celery writes them', () => {
  it('xmap / xstarmap: immutable celery.map / celery.starmap with {task, it}, subtask_type null', () => {
    expect(xmap(add, [1, 2]).toDict()).toEqual({
      task: 'celery.map', args: [], kwargs: { task: ADD_S, it: [1, 2] }, options: {}, subtask_type: null, immutable: true,
    });
    expect(xstarmap(add, [[1, 2], [3, 4]]).toDict()).toEqual({
      task: 'celery.starmap', args: [], kwargs: { task: ADD_S, it: [[1, 2], [3, 4]] }, options: {}, subtask_type: null, immutable: true,
    });
  });

  it('chunks: immutable celery.chunks with {task, it, n}', () => {
    const d = chunks(signature(add), [[1, 1], [2, 2], [3, 3]], 2).toDict();
    expect(d).toEqual({
      task: 'celery.chunks', args: [], kwargs: { task: ADD_S, it: [[1, 1], [2, 2], [3, 3]], n: 2 }, options: {}, subtask_type: null, immutable: true,
    });
    expect(Object.keys(d)).toEqual(['task', 'args', 'kwargs', 'options', 'subtask_type', 'immutable']);
  });

  it('round-trips through Chunks/XMap/XStarmap.fromDict and through signatureFromDict by subtask type', () => {
    const c = chunks(add, [[1, 1]], 1).set({ queue: 'q' });
    expect(Chunks.fromDict(c.toDict(), app).toDict()).toEqual(c.toDict());
    expect(XMap.fromDict(xmap(add, [1]).toDict()).toDict()).toEqual(xmap(add, [1]).toDict());
    expect(XStarmap.fromDict(xstarmap(add, [[1, 2]]).toDict()).toDict()).toEqual(xstarmap(add, [[1, 2]]).toDict());
    for (const [type, cls] of [['chunks', Chunks], ['xmap', XMap], ['xstarmap', XStarmap]] as const) {
      const d = { ...(type === 'chunks' ? c : type === 'xmap' ? xmap(add, [1]) : xstarmap(add, [[1, 2]])).toDict(), subtask_type: type };
      const back = signatureFromDict(d, app);
      expect(back).toBeInstanceOf(cls);
      expect(back.toDict()).toEqual({ ...d, subtask_type: null });
    }
  });

  it('a Python dict (subtask_type null) reads as the plain built-in task, as Python reads it', () => {
    const back = signatureFromDict(chunks(add, [[1, 1]], 1).toDict(), app);
    expect(back.constructor).toBe(Signature);
    expect(back.task).toBe('celery.chunks');
  });

  it('accepts a task name as target, and rejects dicts without kwargs.it', () => {
    expect(xmap('tasks.add', [1]).toDict().kwargs['task']).toEqual(ADD_S);
    expect(() => XMap.fromDict({ ...xmap(add, [1]).toDict(), kwargs: { task: ADD_S } })).toThrow(expect.objectContaining({ code: 'CQ_CANVAS_SIGNATURE_DICT' }));
  });
});

describe('chunks.group() and sending', () => {
  it('splits like celery.utils.functional.chunks', () => {
    expect(splitChunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(splitChunks([], 3)).toEqual([]);
  });

  it('group() is a group of immutable celery.starmap signatures, one per part', () => {
    const g = chunks(add, [[1, 1], [2, 2], [3, 3]], 2).group();
    expect(g).toBeInstanceOf(Group);
    expect(g.tasks.map((t) => t.toDict())).toEqual([
      { task: 'celery.starmap', args: [], kwargs: { task: ADD_S, it: [[1, 1], [2, 2]] }, options: {}, subtask_type: null, immutable: true },
      { task: 'celery.starmap', args: [], kwargs: { task: ADD_S, it: [[3, 3]] }, options: {}, subtask_type: null, immutable: true },
    ]);
  });

  it('xmap sends one celery.map message with kwargs {task, it} and no args; partial args are ignored', async () => {
    sent.length = 0;
    const r = await xmap(add, [1, 2]).applyAsync([99], { queue: 'cqt.canvas.map.unit' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.task).toBe('celery.map');
    expect(sent[0]!.headers['id']).toBe(r.id);
    expect((sent[0]!.body as unknown[]).slice(0, 2)).toEqual([[], { task: ADD_S, it: [1, 2] }]);
  });

  it('chunks sends the group of starmaps (group id = taskId), one message per part', async () => {
    sent.length = 0;
    const res = await chunks(add, [[1, 1], [2, 2], [3, 3]], 2).applyAsync([], { taskId: 'gid-1', queue: 'cqt.canvas.map.unit' });
    expect(res.id).toBe('gid-1');
    expect(sent.map((s) => s.task)).toEqual(['celery.starmap', 'celery.starmap']);
    expect(sent.map((s) => s.headers['group'])).toEqual(['gid-1', 'gid-1']);
    expect(sent.map((s) => (s.body as unknown[])[1])).toEqual([{ task: ADD_S, it: [[1, 1], [2, 2]] }, { task: ADD_S, it: [[3, 3]] }]);
    expect(res.results.map((r) => r.id)).toEqual(sent.map((s) => s.headers['id']));
  });
});

describe('routing by the inner task name (Celery route_name)', () => {
  const routed = new Celery('canvas-map-routes', {
    broker_url: 'memory://',
    task_routes: { 'tasks.add': 'addq', 'celery.starmap': 'starq' },
  });
  const radd = routed.task('tasks.add', (x: number, y: number) => x + y);
  const keys: Array<[unknown, string]> = [];
  const untrackRoutes = after_task_publish.connect(({ headers, routingKey }) => {
    keys.push([headers['task'], routingKey]);
  }, { dispatchUid: 'cqt.canvas.map.routes' });
  afterAll(async () => {
    untrackRoutes();
    await routed.close();
  });

  it('xmap and xstarmap go where task_routes sends the inner task; given options win', async () => {
    keys.length = 0;
    await xmap(radd, [1]).applyAsync();
    await xstarmap(radd, [[1, 2]]).applyAsync();
    await xmap(radd, [1]).applyAsync([], { queue: 'mine' });
    const set = xstarmap(radd, [[1, 2]]);
    set.set({ queue: 'own' });
    await set.applyAsync();
    expect(keys).toEqual([['celery.map', 'addq'], ['celery.starmap', 'addq'], ['celery.map', 'mine'], ['celery.starmap', 'own']]);
  });

  it("chunks' starmaps are routed as celery.starmap, as Celery 5.2 sends them", async () => {
    keys.length = 0;
    await chunks(radd, [[1, 1], [2, 2]], 1).applyAsync();
    expect(keys).toEqual([['celery.starmap', 'starq'], ['celery.starmap', 'starq']]);
  });
});
