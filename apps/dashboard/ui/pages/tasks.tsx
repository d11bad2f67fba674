/**
 * Tasks: a table paginated and filtered by the server (state, name, worker, received time, Flower's
 * search syntax), sortable by name, state, received and started, refreshed live; revoke/terminate
 * for tasks in progress and retry for failed or revoked ones, and a form to apply a task, unless
 * read-only.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, seconds, time, UNREADY, useLive, type Task } from '../api';
import { Link, navigate } from '../router';
import { ApplyTaskForm } from './apply-task';
import { TaskActions } from './task-actions';

const STATES = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'];
const PAGE_SIZES = [20, 50, 100];
const SORTABLE: Record<string, string> = { Name: 'name', State: 'state', Received: 'received', Started: 'started' };

/** `YYYY-MM-DDTHH:MM` (an input's value) to Flower's `YYYY-MM-DD HH:MM`. */
const flowerMinute = (value: string): string => value.replace('T', ' ');

export function TasksPage({ query, readOnly }: { query: URLSearchParams; readOnly: boolean }) {
  const [data, setData] = useState<{ total: number; tasks: Task[] } | null>(null);
  const [error, setError] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [workers, setWorkers] = useState<string[]>([]);
  const [search, setSearch] = useState(query.get('search') ?? '');
  const limit = Number(query.get('limit') ?? 20);
  const offset = Number(query.get('offset') ?? 0);
  const key = query.toString();

  const load = useCallback(() => {
    const q = new URLSearchParams(key);
    q.set('limit', String(limit));
    for (const name of ['received_start', 'received_end']) {
      const value = q.get(name);
      if (value) q.set(name, flowerMinute(value));
    }
    api.tasks(q).then((d) => { setData(d); setError(''); }, (e: Error) => setError(e.message));
  }, [key, limit]);

  useEffect(load, [load]);
  useEffect(() => {
    api.taskTypes().then((t) => setTypes(t['task-types']), () => undefined);
    api.workers().then((w) => setWorkers(w.map((x) => x.hostname)), () => undefined);
  }, []);
  useLive(load);

  /** Sets (or clears) query parameters and goes back to the first page unless `offset` is given. */
  const update = (changes: Record<string, string | null>): void => {
    const q = new URLSearchParams(key);
    if (!('offset' in changes)) q.delete('offset');
    for (const [name, value] of Object.entries(changes)) {
      if (value === null || value === '') q.delete(name);
      else q.set(name, value);
    }
    navigate(q.toString() ? `/tasks?${q.toString()}` : '/tasks', true);
  };
  const submitSearch = (e: FormEvent): void => {
    e.preventDefault();
    update({ search });
  };
  const sortBy = query.get('sort_by') ?? '';
  const sortHeader = (label: string) => {
    const field = SORTABLE[label];
    if (!field) return <th key={label}>{label}</th>;
    const next = sortBy === field ? `-${field}` : sortBy === `-${field}` ? '' : field;
    const mark = sortBy === field ? ' ▲' : sortBy === `-${field}` ? ' ▼' : '';
    return <th key={label}><button type="button" className="link" onClick={() => update({ sort_by: next })}>{label}{mark}</button></th>;
  };

  const total = data?.total ?? 0;
  return (
    <section>
      <h1>Tasks</h1>
      {readOnly ? null : <ApplyTaskForm types={types} />}
      <form className="filters" onSubmit={submitSearch}>
        <select aria-label="state" value={query.get('state') ?? ''} onChange={(e) => update({ state: e.target.value })}>
          <option value="">any state</option>
          {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <select aria-label="task name" value={query.get('taskname') ?? ''} onChange={(e) => update({ taskname: e.target.value })}>
          <option value="">any task</option>
          {types.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <select aria-label="worker" value={query.get('workername') ?? ''} onChange={(e) => update({ workername: e.target.value })}>
          <option value="">any worker</option>
          {workers.map((w) => <option key={w} value={w}>{w}</option>)}
        </select>
        <label>received from <input type="datetime-local" value={query.get('received_start') ?? ''} onChange={(e) => update({ received_start: e.target.value })} /></label>
        <label>to <input type="datetime-local" value={query.get('received_end') ?? ''} onChange={(e) => update({ received_end: e.target.value })} /></label>
        <input type="search" aria-label="search" placeholder="search: words, state:, result:, args:, kwargs:k=v" value={search} onChange={(e) => setSearch(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      {error ? <p className="error">{error}</p> : null}
      <table className="tasks">
        <thead>
          <tr>{['Name', 'UUID', 'State', 'Args', 'Kwargs', 'Result', 'Received', 'Started', 'Runtime', 'Worker'].map(sortHeader)}{readOnly ? null : <th>Actions</th>}</tr>
        </thead>
        <tbody>
          {(data?.tasks ?? []).map((t) => (
            <tr key={t.uuid} data-task-id={t.uuid}>
              <td>{t.name ?? '?'}</td>
              <td className="mono"><Link to={`/task/${t.uuid}`}>{t.uuid}</Link></td>
              <td><span className={`state ${t.state}`}>{t.state}</span></td>
              <td className="mono clip">{t.args}</td>
              <td className="mono clip">{t.kwargs}</td>
              <td className="mono clip">{t.state === 'FAILURE' ? t.exception : t.result}</td>
              <td>{time(t.received ?? t.sent)}</td>
              <td>{time(t.started)}</td>
              <td>{seconds(t.runtime)}</td>
              <td>{t.worker ?? ''}</td>
              {readOnly ? null : <td><TaskActions task={t} onDone={load} compact /></td>}
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.tasks.length === 0 ? <p className="empty">No tasks match.</p> : null}
      <div className="pager">
        <button type="button" disabled={offset === 0} onClick={() => update({ offset: String(Math.max(offset - limit, 0)) })}>‹ Previous</button>
        <span>{total === 0 ? '0' : `${offset + 1}–${Math.min(offset + limit, total)}`} of {total}</span>
        <button type="button" disabled={offset + limit >= total} onClick={() => update({ offset: String(offset + limit) })}>Next ›</button>
        <select aria-label="page size" value={limit} onChange={(e) => update({ limit: e.target.value })}>
          {PAGE_SIZES.map((n) => <option key={n} value={n}>{n} per page</option>)}
        </select>
        <span className="hint">{(data?.tasks ?? []).filter((t) => UNREADY.has(t.state)).length} in progress on this page</span>
      </div>
    </section>
  );
}
