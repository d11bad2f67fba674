/**
 * The beat schedule: each entry of the app's `beat_schedule` (name, task, schedule, arguments), with
 * its last run, next run and number of runs when cq beat's state can be read (see the server's
 * `beat-schedule.ts` for where it looks).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, relative, time, type BeatSchedule } from '../api';
import { Link } from '../router';

const json = (v: unknown): string => JSON.stringify(v);

export function BeatPage() {
  const [data, setData] = useState<BeatSchedule | null>(null);
  const [error, setError] = useState('');
  const [, setTick] = useState(0);
  const load = useCallback(() => {
    api.beat().then((d) => { setData(d); setError(''); }, (e: Error) => setError(e.message));
  }, []);
  useEffect(load, [load]);
  // Beat sends nothing the event stream reports: the state is read again every 10 s, the relative times every second.
  useEffect(() => {
    const reload = window.setInterval(load, 10_000);
    const tick = window.setInterval(() => setTick((t) => t + 1), 1000);
    return () => {
      window.clearInterval(reload);
      window.clearInterval(tick);
    };
  }, [load]);

  if (error) return <p className="error">{error}</p>;
  if (!data) return <p>Loading…</p>;
  const { state } = data;
  const source = state.kind === 'file' ? <>the state file <code>{state.where}</code></>
    : state.kind === 'broker' ? <>the broker (scope <code>{state.where}</code>)</> : null;
  const now = Date.now() / 1000;
  return (
    <section>
      <h1>Beat schedule</h1>
      <p className="hint" data-testid="beat-source">
        {source ? <>Runs read from {source}. </> : <>No run recorded{state.error ? ` (${state.error})` : ''}: showing the configured schedule. </>}
        Crontabs in {data.timezone}.
      </p>
      {!data.configured && data.entries.length === 0 ? (
        <p className="empty">No beat_schedule: start the dashboard with <code>-A</code> and the module of the app beat runs.</p>
      ) : (
        <table className="beat">
          <thead><tr><th>Name</th><th>Task</th><th>Schedule</th><th>Arguments</th><th>Last run</th><th>Next run</th><th>Total runs</th></tr></thead>
          <tbody>
            {data.entries.map((e) => (
              <tr key={e.name} data-entry={e.name}>
                <td>{e.name}</td>
                <td>{e.task ? <Link to={`/tasks?taskname=${encodeURIComponent(e.task)}`}>{e.task}</Link> : '—'}</td>
                <td className="mono">{e.error ? <span className="error">{e.error}</span> : e.schedule ?? '—'}</td>
                <td className="mono clip">{e.task ? `${json(e.args)} ${Object.keys(e.kwargs).length ? json(e.kwargs) : ''}` : '—'}{e.options['queue'] ? ` → ${String(e.options['queue'])}` : ''}</td>
                <td title={time(e.last_run_at)}>{e.last_run_at === null ? '—' : e.total_run_count === 0 ? 'never' : relative(e.last_run_at, now)}</td>
                <td title={time(e.next_run_at)} className={e.next_run_at !== null && e.next_run_at < now ? 'late' : ''}>
                  {e.next_run_at === null ? '—' : e.next_run_at < now ? `due (${relative(e.next_run_at, now)})` : relative(e.next_run_at, now)}
                </td>
                <td className="runs">{e.total_run_count ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
