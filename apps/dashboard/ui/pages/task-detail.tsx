/**
 * One task: its fields, args, kwargs, result or exception and traceback, parent, root and children,
 * the canvas graph of its chain/group/chord, and the timeline of its events; refreshed live;
 * revoke/terminate/retry unless read-only.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, seconds, time, useLive, type Task, type TaskEvent } from '../api';
import { Link } from '../router';
import { CanvasGraphView } from './canvas-graph';
import { TaskActions } from './task-actions';

const TaskLink = ({ id }: { id: string | null }) => (id ? <Link to={`/task/${id}`} className="mono">{id}</Link> : <>—</>);

/** The fields an event adds beside the ones every event has. */
function eventDetail(e: TaskEvent): string {
  const skip = new Set(['type', 'uuid', 'hostname', 'timestamp', 'utcoffset', 'pid', 'clock', 'local_received', 'traceback']);
  return Object.entries(e.fields).filter(([k, v]) => !skip.has(k) && v !== null && v !== '').map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('  ');
}

export function TaskDetailPage({ id, readOnly }: { id: string; readOnly: boolean }) {
  const [data, setData] = useState<{ task: Task; events: TaskEvent[]; children: string[] } | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(() => {
    api.task(id).then((d) => { setData(d); setError(''); }, (e: Error) => setError(e.message));
  }, [id]);
  useEffect(load, [load]);
  useLive(load, (change) => change.tasks.includes(id));
  if (error) return <p className="error">{error}</p>;
  if (!data) return <p>Loading…</p>;
  const t = data.task;
  const rows: [string, React.ReactNode][] = [
    ['UUID', <span className="mono">{t.uuid}</span>], ['Name', t.name ?? '?'], ['State', <span className={`state ${t.state}`} data-testid="task-state">{t.state}</span>],
    ['Worker', t.worker ? <Link to={`/worker/${encodeURIComponent(t.worker)}`}>{t.worker}</Link> : '—'], ['Client', t.client ?? '—'],
    ['Sent', time(t.sent)], ['Received', time(t.received)], ['Started', time(t.started)], ['Succeeded', time(t.succeeded)], ['Failed', time(t.failed)],
    ['Revoked', time(t.revoked)], ['Runtime', seconds(t.runtime)], ['Retries', t.retries ?? '—'], ['ETA', t.eta ?? '—'], ['Expires', t.expires ?? '—'],
    ['Parent', <TaskLink id={t.parent_id} />], ['Root', <TaskLink id={t.root_id} />],
  ];
  return (
    <section>
      <h1>{t.name ?? 'Task'} <span className={`state ${t.state}`}>{t.state}</span></h1>
      {readOnly ? null : <p><TaskActions task={t} onDone={load} /></p>}
      <div className="columns">
        <table className="fields"><tbody>{rows.map(([k, v]) => <tr key={k}><th>{k}</th><td>{v}</td></tr>)}</tbody></table>
        <div>
          <h2>Arguments</h2>
          <pre data-testid="task-args">args: {t.args ?? '—'}{'\n'}kwargs: {t.kwargs ?? '—'}</pre>
          <h2>{t.state === 'FAILURE' || t.exception ? 'Exception' : 'Result'}</h2>
          <pre data-testid="task-result">{t.exception ?? t.result ?? '—'}</pre>
          {t.traceback ? <><h2>Traceback</h2><pre className="traceback">{t.traceback}</pre></> : null}
          {data.children.length ? <><h2>Children</h2><ul>{data.children.map((c) => <li key={c}><TaskLink id={c} /></li>)}</ul></> : null}
        </div>
      </div>
      <CanvasGraphView id={t.uuid} />
      <h2>Events</h2>
      <table className="timeline">
        <thead><tr><th>Time</th><th>Event</th><th>From</th><th>Details</th></tr></thead>
        <tbody>
          {data.events.map((e, i) => (
            <tr key={i}><td>{time(e.timestamp)}</td><td>{e.type}</td><td>{e.hostname ?? ''}</td><td className="mono clip">{eventDetail(e)}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
