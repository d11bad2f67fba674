/**
 * The canvas graph from the relations a real cluster leaves (the ids and metas below are the shapes
 * a cq worker on Redis recorded for a chain, a chord inside a chain and a group): gathering,
 * chord-callback edges and the layered layout.
 */
import { describe, expect, it } from 'vitest';
import { buildCanvasGraph, layoutGraph, parseResultTuple, type GraphResultMeta, type GraphSources, type GraphTaskRow } from './canvas-graph.js';

type Fact = { parent?: string; root?: string; name?: string; state?: string; recorded?: boolean; meta?: Partial<GraphResultMeta> };

/** Sources over a fixed set of facts: rows for the recorded tasks, metas for every task. */
function sources(facts: Record<string, Fact>, options: { results?: boolean; groups?: Record<string, unknown> } = {}): GraphSources {
  const row = (uuid: string): GraphTaskRow | undefined => {
    const f = facts[uuid];
    if (!f || f.recorded === false) return undefined;
    return { uuid, name: f.name ?? 't.add', state: f.state ?? 'SUCCESS', worker: 'w1', root_id: f.root ?? null, parent_id: f.parent ?? null };
  };
  return {
    task: async (uuid) => row(uuid),
    tasks: async (uuids) => new Map(uuids.flatMap((u) => { const r = row(u); return r ? [[u, r] as const] : []; })),
    children: async (uuids) => new Map(uuids.map((u) => [u, Object.keys(facts).filter((k) => row(k)?.parent_id === u)])),
    ...(options.results === false ? {} : {
      metas: async (uuids: readonly string[]) => new Map(uuids.map((u) => [u, { status: facts[u]?.state ?? 'PENDING', children: [], ...facts[u]?.meta }])),
      group: async (gid: string) => options.groups?.[gid] ?? null,
    }),
  };
}

const task = (id: string): unknown[] => [[id, null], null];

describe('parseResultTuple (Celery result_from_tuple)', () => {
  it('reads task and group tuples, nested groups, and refuses the rest', () => {
    expect(parseResultTuple([['a', null], null])).toEqual({ kind: 'task', id: 'a' });
    expect(parseResultTuple(['a', null])).toEqual({ kind: 'task', id: 'a' });
    expect(parseResultTuple([['g', null], [task('a'), [['h', null], [task('b')]]]])).toEqual({
      kind: 'group', id: 'g', members: [{ kind: 'task', id: 'a' }, { kind: 'group', id: 'h', members: [{ kind: 'task', id: 'b' }] }],
    });
    expect(parseResultTuple('a')).toBeNull();
    expect(parseResultTuple([[1, null], null])).toBeNull();
  });
});

describe('layoutGraph', () => {
  it('puts each node one layer right of its furthest parent and keeps groups together', () => {
    const edges = [['p', 'x'], ['p', 'm1'], ['p', 'm2'], ['m1', 'body'], ['m2', 'body'], ['body', 'last']].map(([from, to]) => ({ from: from!, to: to! }));
    const layout = layoutGraph(['p', 'm1', 'x', 'm2', 'body', 'last'], edges, (id) => (id.startsWith('m') ? 'g' : null));
    expect(Object.fromEntries([...layout].map(([id, p]) => [id, p.layer]))).toEqual({ p: 0, m1: 1, x: 1, m2: 1, body: 2, last: 3 });
    const row = (id: string): number => layout.get(id)!.order;
    expect(Math.abs(row('m1') - row('m2'))).toBe(1);
  });

  it('survives a cycle', () => {
    const layout = layoutGraph(['a', 'b'], [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }]);
    expect(layout.size).toBe(2);
  });
});

describe('buildCanvasGraph', () => {
  it('draws a chain as a line of parent → child', async () => {
    const facts: Record<string, Fact> = { a: { root: 'a' }, b: { root: 'a', parent: 'a' }, c: { root: 'a', parent: 'b', state: 'STARTED' } };
    const graph = (await buildCanvasGraph(sources(facts), 'c'))!;
    expect(graph.root).toBe('a');
    expect(graph.nodes.map((n) => [n.id, n.layer, n.state])).toEqual([['a', 0, 'SUCCESS'], ['b', 1, 'SUCCESS'], ['c', 2, 'STARTED']]);
    expect(graph.edges).toEqual([{ from: 'a', to: 'b', kind: 'child' }, { from: 'b', to: 'c', kind: 'child' }]);
    expect(graph).toMatchObject({ groups: [], truncated: false, results: true });
  });

  it('puts a chord body after its whole header (chain(first, group(h1, h2), tsum, last))', async () => {
    // As recorded: the header members are children of `first` (their group in `first`'s result);
    // the body's parent is `first` too, and it is a child of `h2`, the header part that finished last.
    const facts: Record<string, Fact> = {
      first: { root: 'first', meta: { children: [[['g', null], [task('h1'), task('h2')]]] } },
      h1: { root: 'first', parent: 'first', meta: { group_id: 'g', parent_id: 'first' } },
      h2: { root: 'first', parent: 'first', meta: { group_id: 'g', parent_id: 'first', children: [task('tsum')] } },
      tsum: { root: 'first', parent: 'first', name: 't.tsum', meta: { parent_id: 'first', children: [task('last')] } },
      last: { root: 'first', parent: 'tsum' },
    };
    const graph = (await buildCanvasGraph(sources(facts), 'h1'))!;
    expect(Object.fromEntries(graph.nodes.map((n) => [n.id, n.layer]))).toEqual({ first: 0, h1: 1, h2: 1, tsum: 2, last: 3 });
    expect(graph.groups).toEqual([{ id: 'g', members: ['h1', 'h2'], callback: 'tsum' }]);
    expect(graph.edges).toContainEqual({ from: 'h1', to: 'tsum', kind: 'callback' });
    expect(graph.edges).toContainEqual({ from: 'h2', to: 'tsum', kind: 'callback' });
    expect(graph.edges).not.toContainEqual(expect.objectContaining({ from: 'first', to: 'tsum' }));
    expect(graph.edges).toContainEqual({ from: 'tsum', to: 'last', kind: 'child' });
  });

  it('finds the members of a saved group and tasks known from results only', async () => {
    const facts: Record<string, Fact> = {
      a: { root: 'a', meta: { group_id: 'g' } },
      b: { recorded: false, state: 'SUCCESS', meta: { group_id: 'g', name: 't.mul' } },
    };
    const graph = (await buildCanvasGraph(sources(facts, { groups: { g: [['g', null], [task('a'), task('b')]] } }), 'a'))!;
    expect(graph.nodes.map((n) => [n.id, n.group, n.recorded, n.name])).toEqual([['a', 'g', true, 't.add'], ['b', 'g', false, 't.mul']]);
    expect(graph.groups).toEqual([{ id: 'g', members: ['a', 'b'], callback: null }]);
  });

  it('without a result backend, draws the parent links the events carry', async () => {
    const facts: Record<string, Fact> = { a: { root: 'a', meta: { group_id: 'g' } }, b: { root: 'a', parent: 'a' } };
    const graph = (await buildCanvasGraph(sources(facts, { results: false }), 'a'))!;
    expect(graph).toMatchObject({ results: false, groups: [], edges: [{ from: 'a', to: 'b', kind: 'child' }] });
  });

  it('stops at maxNodes and says so; an unknown task has no graph', async () => {
    const facts: Record<string, Fact> = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, { root: 't0', ...(i ? { parent: `t${i - 1}` } : {}) }]));
    const graph = (await buildCanvasGraph(sources(facts), 't0', 4))!;
    expect(graph.nodes).toHaveLength(4);
    expect(graph.truncated).toBe(true);
    expect(await buildCanvasGraph(sources(facts), 'nope')).toBeUndefined();
  });
});
