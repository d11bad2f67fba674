/**
 * Workers: each with its status (alive by heartbeat), load, processed and active counts, pool and
 * queues from its last inspection, refreshed live; and one worker's page with what inspecting it
 * returned (stats, queues, registered tasks, configuration; secrets masked by the server) and,
 * unless read-only, its remote-control actions.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, time, useLive, type Worker } from '../api';
import { Link } from '../router';
import { WorkerActions } from './worker-actions';

type Stats = { pool?: { 'max-concurrency'?: number; implementation?: string; processes?: unknown[] }; total?: Record<string, number> };
const stats = (w: Worker): Stats => (w.info?.['stats'] ?? {}) as Stats;
const queues = (w: Worker): string[] => ((w.info?.['active_queues'] ?? []) as { name?: string }[]).map((q) => q.name ?? '?');
const poolName = (w: Worker): string => {
  const impl = stats(w).pool?.implementation ?? '';
  return impl.replace(/^.*[.:]/, '') || '—';
};

function useWorkers(): [Worker[] | null, () => void] {
  const [workers, setWorkers] = useState<Worker[] | null>(null);
  const load = useCallback(() => void api.workers().then(setWorkers, () => undefined), []);
  useEffect(load, [load]);
  useLive(load, (change) => change.workers.length > 0);
  return [workers, load];
}

export function WorkersPage() {
  const [workers] = useWorkers();
  if (!workers) return <p>Loading…</p>;
  return (
    <section>
      <h1>Workers</h1>
      <table className="workers">
        <thead><tr><th>Worker</th><th>Status</th><th>Active</th><th>Processed</th><th>Load average</th><th>Pool</th><th>Concurrency</th><th>Queues</th><th>Software</th><th>Last heartbeat</th></tr></thead>
        <tbody>
          {workers.map((w) => (
            <tr key={w.hostname} data-worker={w.hostname}>
              <td><Link to={`/worker/${encodeURIComponent(w.hostname)}`}>{w.hostname}</Link></td>
              <td><span className={`status ${w.alive ? 'online' : 'offline'}`}>{w.alive ? 'online' : 'offline'}</span></td>
              <td>{w.active ?? '—'}</td>
              <td>{w.processed ?? '—'}</td>
              <td>{(w.loadavg ?? []).map((l) => l.toFixed(2)).join(' ') || '—'}</td>
              <td>{poolName(w)}</td>
              <td>{stats(w).pool?.['max-concurrency'] ?? '—'}</td>
              <td>{queues(w).join(', ') || '—'}</td>
              <td>{[w.sw_ident, w.sw_ver].filter(Boolean).join(' ') || '—'}</td>
              <td>{time(w.last_heartbeat)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {workers.length === 0 ? <p className="empty">No worker seen yet: start workers with events enabled (-E).</p> : null}
    </section>
  );
}

export function WorkerPage({ name, readOnly }: { name: string; readOnly: boolean }) {
  const [workers, reload] = useWorkers();
  if (!workers) return <p>Loading…</p>;
  const w = workers.find((x) => x.hostname === name);
  if (!w) return <p className="error">Unknown worker {name}</p>;
  const registered = (w.info?.['registered'] ?? []) as string[];
  const processed = Object.entries(stats(w).total ?? {});
  return (
    <section>
      <h1>{w.hostname} <span className={`status ${w.alive ? 'online' : 'offline'}`}>{w.alive ? 'online' : 'offline'}</span></h1>
      {readOnly ? null : <WorkerActions worker={w} registered={registered.map((r) => r.split(' ', 1)[0]!)} queues={queues(w)} onDone={reload} />}
      <div className="columns">
        <div>
          <h2>Pool</h2>
          <p data-testid="worker-pool">{poolName(w)}, concurrency {stats(w).pool?.['max-concurrency'] ?? '—'}, pid {w.pid ?? '—'}, heartbeat every {w.freq ?? '—'} s</p>
          <h2>Queues</h2>
          <ul data-testid="worker-queues">{queues(w).map((q) => <li key={q}>{q}</li>)}</ul>
          <h2>Processed</h2>
          <ul>{processed.map(([task, n]) => <li key={task}>{task}: {n}</li>)}</ul>
          <h2>Registered tasks</h2>
          <ul className="mono">{registered.map((r) => <li key={r}>{r}</li>)}</ul>
        </div>
        <div>
          <h2>Configuration</h2>
          <pre>{JSON.stringify(w.info?.['conf'] ?? {}, null, 2)}</pre>
          <p className="hint">Inspected {time(w.info?.['timestamp'] as number | undefined)}</p>
        </div>
      </div>
    </section>
  );
}
