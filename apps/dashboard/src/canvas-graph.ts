/**
 * The canvas graph of a task: the chain, group and chord it belongs to, gathered from what the
 * dashboard can see and laid out in layers for the task page's SVG drawing.
 *
 * Where the relations come from:
 * - **events** (the store): every task's `root_id` and `parent_id` (Celery puts them in
 *   `task-sent` and `task-received`): a chain is a line of parent → child, each link sent by the
 *   worker that ran the one before;
 * - **results** (the result backend, when there is one): each task's `group_id` and `children`
 *   (result tuples, a group as `[[group id, parent], [members...]]`), which the events do not carry:
 *   the members of a group a task started, and the chord body among the children of the header task
 *   that finished last; a group saved with `GroupResult.save()` gives its members too.
 *
 * A task whose parent (or result parent) is a member of a group of two or more known members, and
 * which is not itself a member, is drawn as that group's callback (the chord body): an edge from
 * every member, instead of the edge from the group's parent. A group sent by a client (not from a
 * task) leaves nothing that links its members unless its result was saved: then only the member at
 * hand is shown. At most `maxNodes` (200) tasks are gathered (`truncated` then says so).
 *
 * Layout ({@link layoutGraph}): layer = longest path from a task without a parent (so a chord body
 * comes after every header member), order inside a layer by the mean order of the parents, members
 * of one group kept together.
 */

/** A task as the store holds it (the fields the graph reads). */
export interface GraphTaskRow {
  uuid: string;
  name: string | null;
  state: string;
  worker: string | null;
  root_id: string | null;
  parent_id: string | null;
}

/** A result backend's meta (the fields the graph reads). */
export interface GraphResultMeta {
  status: string;
  group_id?: string | undefined;
  parent_id?: string | undefined;
  name?: string | null | undefined;
  worker?: string | null | undefined;
  children: unknown[];
}

/** Where the graph's facts come from; `metas` and `group` only with a result backend. */
export interface GraphSources {
  task(uuid: string): Promise<GraphTaskRow | undefined>;
  tasks(uuids: readonly string[]): Promise<Map<string, GraphTaskRow>>;
  children(uuids: readonly string[]): Promise<Map<string, string[]>>;
  metas?: (uuids: readonly string[]) => Promise<Map<string, GraphResultMeta>>;
  /** A saved group's result tuple (Celery `restore_group`), or null. */
  group?: (groupId: string) => Promise<unknown>;
}

export interface GraphNode {
  id: string;
  name: string | null;
  state: string;
  worker: string | null;
  /** The group it is a member of, or null. */
  group: string | null;
  /** Whether the dashboard recorded events of it (else it is known from results only). */
  recorded: boolean;
  /** Column (0 = no parent) and row inside the column. */
  layer: number;
  order: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** `child`: sent by `from` (chain link, started group); `callback`: a chord body after a header member. */
  kind: 'child' | 'callback';
}

export interface GraphGroup {
  id: string;
  members: string[];
  /** The chord body drawn after it, or null. */
  callback: string | null;
}

export interface CanvasGraph {
  /** The task asked about. */
  task: string;
  root: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: GraphGroup[];
  truncated: boolean;
  /** Whether result metas were read (false without a result backend, or when reading failed). */
  results: boolean;
}

/** A parsed result tuple (Celery `result_from_tuple`). */
export type ResultRef = { kind: 'task'; id: string } | { kind: 'group'; id: string; members: ResultRef[] };

/**
 * Reads a result tuple as Celery writes it (`AsyncResult.as_tuple()` / `GroupResult.as_tuple()`):
 * `[[id, parent], null]` (or `[id, null]`) for a task, `[[id, parent], [member tuples]]` for a
 * group. Returns null for anything else.
 */
export function parseResultTuple(value: unknown): ResultRef | null {
  if (!Array.isArray(value) || value.length < 2) return null;
  const [head, nodes] = value as [unknown, unknown];
  const id: unknown = Array.isArray(head) ? (head as unknown[])[0] : head;
  if (typeof id !== 'string') return null;
  if (Array.isArray(nodes)) return { kind: 'group', id, members: nodes.map(parseResultTuple).filter((r): r is ResultRef => r !== null) };
  return { kind: 'task', id };
}

/** The task ids of a group's members (a member that is itself a group gives its own). */
function memberIds(ref: ResultRef): string[] {
  return ref.kind === 'task' ? [ref.id] : ref.members.flatMap(memberIds);
}

/**
 * Layers and orders a graph: `layer` is the longest path from a node without a predecessor (edges
 * closing a cycle are ignored), `order` the row inside the layer, by the mean row of the
 * predecessors, then group, then the order of `ids`.
 */
export function layoutGraph(ids: readonly string[], edges: readonly { from: string; to: string }[], groupOf: (id: string) => string | null = () => null): Map<string, { layer: number; order: number }> {
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) if (preds.has(e.from) && preds.has(e.to) && e.from !== e.to) preds.get(e.to)!.push(e.from);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    visiting.add(id);
    let d = 0;
    for (const p of preds.get(id) ?? []) if (!visiting.has(p)) d = Math.max(d, depth(p) + 1);
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  for (const id of ids) depth(id);
  const seq = new Map(ids.map((id, i) => [id, i]));
  const out = new Map<string, { layer: number; order: number }>();
  const layers = Math.max(0, ...layer.values()) + 1;
  for (let l = 0; l < layers; l++) {
    const members = ids.filter((id) => layer.get(id) === l);
    const centre = (id: string): number => {
      const placed = (preds.get(id) ?? []).map((p) => out.get(p)).filter((p): p is { layer: number; order: number } => p !== undefined && p.layer < l);
      return placed.length ? placed.reduce((s, p) => s + p.order, 0) / placed.length : -1;
    };
    const keyed = members.map((id) => ({ id, centre: centre(id), group: groupOf(id) ?? '', seq: seq.get(id)! }));
    // A group sits where its first member would: members share the smallest centre among them.
    const groupCentre = new Map<string, number>();
    for (const k of keyed) if (k.group) groupCentre.set(k.group, Math.min(groupCentre.get(k.group) ?? Infinity, k.centre));
    for (const k of keyed) if (k.group) k.centre = groupCentre.get(k.group)!;
    keyed.sort((a, b) => a.centre - b.centre || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0) || a.seq - b.seq);
    keyed.forEach((k, order) => out.set(k.id, { layer: l, order }));
  }
  return out;
}

interface Gathered {
  row: GraphTaskRow | undefined;
  meta: GraphResultMeta | undefined;
  group: string | null;
}

/**
 * Gathers and lays out the canvas graph of task `id`; undefined when the store does not know it.
 * Never rejects for the result backend: a failed read leaves `results` false.
 */
export async function buildCanvasGraph(sources: GraphSources, id: string, maxNodes = 200): Promise<CanvasGraph | undefined> {
  const start = await sources.task(id);
  if (!start) return undefined;
  const nodes = new Map<string, Gathered>();
  const queue: string[] = [];
  let truncated = false;
  const add = (uuid: string | null | undefined, group: string | null = null): void => {
    if (!uuid) return;
    const known = nodes.get(uuid);
    if (known) {
      if (group && !known.group) known.group = group;
      return;
    }
    if (nodes.size >= maxNodes) {
      truncated = true;
      return;
    }
    nodes.set(uuid, { row: undefined, meta: undefined, group });
    queue.push(uuid);
  };
  const root = start.root_id ?? start.uuid;
  add(root);
  // The task's ancestors, in case its root is not recorded.
  const seen = new Set<string>();
  for (let p: string | null | undefined = start.parent_id; p && !seen.has(p); p = (await sources.task(p))?.parent_id) {
    seen.add(p);
    add(p);
  }
  add(id);

  const childEdges: [string, string][] = [];
  const restored = new Set<string>();
  let results = sources.metas !== undefined;
  while (queue.length > 0) {
    const batch = queue.splice(0);
    const rows = await sources.tasks(batch);
    for (const uuid of batch) {
      const row = rows.get(uuid);
      nodes.get(uuid)!.row = row;
      add(row?.parent_id);
      add(row?.root_id);
    }
    for (const kids of (await sources.children(batch)).values()) for (const kid of kids) add(kid);
    if (!results || !sources.metas) continue;
    let metas: Map<string, GraphResultMeta>;
    try {
      metas = await sources.metas(batch);
    } catch {
      results = false;
      continue;
    }
    const groups = new Set<string>();
    for (const uuid of batch) {
      const meta = metas.get(uuid);
      if (!meta) continue;
      const node = nodes.get(uuid)!;
      node.meta = meta;
      if (meta.group_id) {
        node.group ??= meta.group_id;
        groups.add(meta.group_id);
      }
      add(meta.parent_id);
      for (const child of meta.children ?? []) {
        const ref = parseResultTuple(child);
        if (!ref) continue;
        if (ref.kind === 'task') {
          add(ref.id);
          childEdges.push([uuid, ref.id]);
        } else {
          restored.add(ref.id);
          for (const member of memberIds(ref)) {
            add(member, ref.id);
            childEdges.push([uuid, member]);
          }
        }
      }
    }
    for (const gid of groups) {
      if (restored.has(gid) || !sources.group) continue;
      restored.add(gid);
      try {
        const ref = parseResultTuple(await sources.group(gid));
        if (ref) for (const member of memberIds(ref)) add(member, gid);
      } catch {
        // A group that cannot be restored shows the members already known.
      }
    }
  }

  // Edges: parent → child from events and results, without repeats.
  const edges = new Map<string, GraphEdge>();
  const link = (from: string, to: string, kind: GraphEdge['kind'] = 'child'): void => {
    if (from === to || !nodes.has(from) || !nodes.has(to)) return;
    const key = `${from}\0${to}`;
    const known = edges.get(key);
    if (!known || kind === 'callback') edges.set(key, { from, to, kind });
  };
  for (const [uuid, node] of nodes) link(node.row?.parent_id ?? node.meta?.parent_id ?? '', uuid);
  for (const [from, to] of childEdges) link(from, to);

  // Groups and chord callbacks.
  const members = new Map<string, string[]>();
  for (const [uuid, node] of nodes) if (node.group) members.set(node.group, [...(members.get(node.group) ?? []), uuid]);
  const groups: GraphGroup[] = [];
  for (const [gid, list] of members) {
    const inGroup = new Set(list);
    let callback: string | null = null;
    if (list.length >= 2) {
      for (const e of edges.values()) {
        if (inGroup.has(e.from) && !inGroup.has(e.to) && nodes.get(e.to)!.group !== gid) {
          callback = e.to;
          break;
        }
      }
    }
    if (callback) {
      const body = callback;
      for (const [key, e] of edges) {
        // The edge from the group's parent to the body: the body comes after the group instead.
        if (e.to === body && !inGroup.has(e.from) && list.every((m) => edges.has(`${e.from}\0${m}`))) edges.delete(key);
      }
      for (const m of list) link(m, body, 'callback');
    }
    groups.push({ id: gid, members: list, callback });
  }

  const ids = [...nodes.keys()];
  const edgeList = [...edges.values()];
  const layout = layoutGraph(ids, edgeList, (uuid) => nodes.get(uuid)?.group ?? null);
  const graphNodes: GraphNode[] = ids.map((uuid) => {
    const { row, meta, group } = nodes.get(uuid)!;
    const place = layout.get(uuid)!;
    return {
      id: uuid, name: row?.name ?? meta?.name ?? null, state: row?.state ?? meta?.status ?? 'PENDING', worker: row?.worker ?? meta?.worker ?? null,
      group, recorded: row !== undefined, layer: place.layer, order: place.order,
    };
  });
  return { task: id, root, nodes: graphNodes, edges: edgeList, groups, truncated, results };
}
