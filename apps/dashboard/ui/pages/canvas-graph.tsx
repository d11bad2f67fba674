/**
 * The canvas graph of a task (its chain, group, chord) as SVG: columns are the server's layers
 * (parents left of children, a chord body right of its whole header), groups framed, chord-callback
 * edges dashed, nodes coloured by state and linking to their task pages; refreshed live while any
 * part is unfinished or changes. Shown only when the task has relatives.
 */
import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import { api, useLive, type CanvasGraph, type GraphNode } from '../api';
import { navigate } from '../router';

const W = 200;
const H = 46;
const GAP_X = 70;
const GAP_Y = 20;
const PAD = 20;
const READY = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);
const COLOURS: Record<string, [fill: string, text: string]> = {
  SUCCESS: ['#dafbe1', '#116329'], FAILURE: ['#ffebe9', '#a40e26'], REJECTED: ['#ffebe9', '#a40e26'], REVOKED: ['#fff1e5', '#953800'],
  STARTED: ['#ddf4ff', '#0550ae'], RECEIVED: ['#ddf4ff', '#0550ae'], RETRY: ['#ddf4ff', '#0550ae'],
};
const colour = (state: string): [string, string] => COLOURS[state] ?? ['#eaeef2', '#57606a'];
const clip = (text: string, n: number): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

const x = (n: GraphNode): number => PAD + n.layer * (W + GAP_X);
const y = (n: GraphNode): number => PAD + n.order * (H + GAP_Y);

export function CanvasGraphView({ id }: { id: string }) {
  const [graph, setGraph] = useState<CanvasGraph | null>(null);
  const ids = useRef(new Set<string>());
  const unfinished = useRef(false);
  const load = useCallback(() => {
    api.graph(id).then((g) => {
      ids.current = new Set(g.nodes.map((n) => n.id));
      unfinished.current = g.nodes.some((n) => !READY.has(n.state));
      setGraph(g);
    }, () => setGraph(null));
  }, [id]);
  useEffect(load, [load]);
  useLive(load, (change) => unfinished.current || change.tasks.some((t) => ids.current.has(t)), 500);

  if (!graph || graph.nodes.length < 2) return null;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const width = PAD * 2 + (Math.max(...graph.nodes.map((n) => n.layer)) + 1) * (W + GAP_X) - GAP_X;
  const height = PAD * 2 + (Math.max(...graph.nodes.map((n) => n.order)) + 1) * (H + GAP_Y) - GAP_Y;
  const open = (e: MouseEvent, to: string): void => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(`/task/${to}`);
  };
  return (
    <>
      <h2>Canvas</h2>
      <div className="graph" data-testid="canvas-graph">
        <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`canvas of ${graph.nodes.length} tasks`}>
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a" />
            </marker>
          </defs>
          {graph.groups.filter((g) => g.members.length > 0).map((g) => {
            const members = g.members.map((m) => byId.get(m)).filter((n): n is GraphNode => n !== undefined);
            const left = Math.min(...members.map(x)) - 8;
            const top = Math.min(...members.map(y)) - 16;
            const right = Math.max(...members.map(x)) + W + 8;
            const bottom = Math.max(...members.map(y)) + H + 6;
            return (
              <g key={g.id} className="graph-group" data-group={g.id}>
                <rect x={left} y={top} width={right - left} height={bottom - top} rx={8} fill="none" stroke="#8c959f" strokeDasharray="5 4" />
                <text x={left + 8} y={top + 11} fontSize={10} fill="#57606a">{g.callback ? 'chord header' : 'group'} {g.id.slice(0, 8)}</text>
              </g>
            );
          })}
          {graph.edges.map((e) => {
            const a = byId.get(e.from);
            const b = byId.get(e.to);
            if (!a || !b) return null;
            const x1 = x(a) + W;
            const y1 = y(a) + H / 2;
            const x2 = x(b);
            const y2 = y(b) + H / 2;
            const bend = Math.max((x2 - x1) / 2, 30);
            return (
              <path key={`${e.from}-${e.to}`} d={`M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`} fill="none"
                stroke="#57606a" strokeWidth={1.4} strokeDasharray={e.kind === 'callback' ? '4 3' : undefined} markerEnd="url(#arrow)" data-edge={`${e.from}>${e.to}`} />
            );
          })}
          {graph.nodes.map((n) => {
            const [fill, text] = colour(n.state);
            const current = n.id === graph.task;
            return (
              <a key={n.id} href={`/task/${n.id}`} onClick={(e) => open(e, n.id)} data-node={n.id} data-state={n.state}>
                <title>{`${n.name ?? '?'} ${n.state}\n${n.id}${n.worker ? `\non ${n.worker}` : ''}`}</title>
                <rect x={x(n)} y={y(n)} width={W} height={H} rx={6} fill={fill} stroke={current ? '#24292f' : text} strokeWidth={current ? 2.5 : 1} />
                <text x={x(n) + 10} y={y(n) + 19} fontSize={12} fontWeight={600} fill="#1f2328">{clip(n.name ?? '?', 27)}</text>
                <text x={x(n) + 10} y={y(n) + 36} fontSize={11} fill={text}>{n.state} · {n.id.slice(0, 8)}</text>
              </a>
            );
          })}
        </svg>
      </div>
      <p className="hint">
        {graph.nodes.length} tasks{graph.truncated ? ' (the first 200)' : ''}; dashed arrows: chord callbacks.
        {graph.results ? '' : ' Without a result backend groups and chords are not known: only the parent links the events carry.'}
      </p>
    </>
  );
}
