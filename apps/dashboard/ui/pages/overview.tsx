/**
 * The cluster at a glance (the landing page): workers online and offline, tasks in progress, what
 * finished in the chosen window, throughput and failure charts over time (counted by the server from
 * the recorded events), queue lengths; refreshed live.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, type QueueView, type Throughput, type Worker, time, useLive } from '../api';
import { Chart } from '../chart';
import { Link, navigate } from '../router';

/** Windows offered, with the bucket width each is counted in (seconds). */
const RANGES = [
  { key: '15m', label: '15 minutes', seconds: 900, interval: 15 },
  { key: '1h', label: '1 hour', seconds: 3600, interval: 60 },
  { key: '6h', label: '6 hours', seconds: 21_600, interval: 300 },
  { key: '24h', label: '24 hours', seconds: 86_400, interval: 900 },
] as const;

const IN_PROGRESS = ['PENDING', 'RECEIVED', 'STARTED', 'RETRY'];

interface Data {
  throughput: Throughput;
  states: Record<string, number>;
  workers: Worker[];
  queues: QueueView[] | null;
  queuesError: string;
}

function Card({ label, value, testId, tone = '' }: { label: string; value: number | string; testId: string; tone?: string }) {
  return (
    <div className={`card ${tone}`}>
      <div className="value" data-testid={testId}>{value}</div>
      <div className="label">{label}</div>
    </div>
  );
}

export function OverviewPage({ query }: { query: URLSearchParams }) {
  const range = RANGES.find((r) => r.key === query.get('range')) ?? RANGES[0];
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState('');

  const load = useCallback(() => {
    const since = Date.now() / 1000 - range.seconds;
    Promise.all([
      api.throughput(range.interval, since),
      api.taskStates(),
      api.workers(),
      api.queues().then((q) => ({ q, e: '' }), (e: Error) => ({ q: null, e: e.message })),
    ]).then(([throughput, states, workers, queues]) => {
      setData({ throughput, states: states.states, workers, queues: queues.q, queuesError: queues.e });
      setError('');
    }, (e: Error) => setError(e.message));
  }, [range.interval, range.seconds]);
  useEffect(load, [load]);
  useLive(load, () => true, 1500);

  const t = data?.throughput;
  const throughputSeries = useMemo(() => (t ? [
    { label: 'received', values: t.series.received, stroke: '#0969da' },
    { label: 'succeeded', values: t.series.succeeded, stroke: '#1a7f37' },
  ] : []), [t]);
  const failureSeries = useMemo(() => (t ? [
    { label: 'failed', values: t.series.failed, stroke: '#cf222e' },
    { label: 'retried', values: t.series.retried, stroke: '#bf8700' },
    { label: 'revoked', values: t.series.revoked, stroke: '#953800' },
    { label: 'rejected', values: t.series.rejected, stroke: '#8250df' },
  ] : []), [t]);

  if (error) return <p className="error">{error}</p>;
  if (!data || !t) return <p>Loading…</p>;
  const online = data.workers.filter((w) => w.alive);
  const inProgress = IN_PROGRESS.reduce((sum, s) => sum + (data.states[s] ?? 0), 0);
  const queued = (data.queues ?? []).reduce((sum, q) => sum + q.messages, 0);
  return (
    <section>
      <h1>Cluster overview</h1>
      <div className="filters">
        <label>window{' '}
          <select aria-label="window" value={range.key} onChange={(e) => navigate(`/?range=${e.target.value}`, true)}>
            {RANGES.map((r) => <option key={r.key} value={r.key}>last {r.label}</option>)}
          </select>
        </label>
        <span className="hint">counted per {t.interval >= 60 ? `${t.interval / 60} min` : `${t.interval} s`} from the recorded events; live</span>
      </div>
      <div className="cards">
        <Card label="workers online" value={online.length} testId="workers-online" tone="good" />
        <Card label="workers offline" value={data.workers.length - online.length} testId="workers-offline" tone={data.workers.length > online.length ? 'bad' : ''} />
        <Card label="tasks in progress" value={inProgress} testId="tasks-in-progress" />
        <Card label="messages queued" value={data.queues ? queued : '?'} testId="messages-queued" />
        <Card label={`succeeded (${range.label})`} value={t.totals.succeeded} testId="total-succeeded" tone="good" />
        <Card label={`failed (${range.label})`} value={t.totals.failed} testId="total-failed" tone={t.totals.failed ? 'bad' : ''} />
        <Card label={`retried (${range.label})`} value={t.totals.retried} testId="total-retried" />
        <Card label={`revoked (${range.label})`} value={t.totals.revoked} testId="total-revoked" />
      </div>
      <div className="charts">
        <Chart title="Throughput: tasks received and succeeded" times={t.times} series={throughputSeries} testId="chart-throughput" />
        <Chart title="Failures: failed, retried, revoked, rejected" times={t.times} series={failureSeries} testId="chart-failures" />
      </div>
      <div className="columns even">
        <div>
          <h2><Link to="/queues">Queues</Link></h2>
          {data.queuesError ? <p className="error">{data.queuesError}</p> : null}
          <table className="overview-queues">
            <thead><tr><th>Queue</th><th>Messages</th><th>Consumers</th></tr></thead>
            <tbody>
              {(data.queues ?? []).map((q) => (
                <tr key={q.name} data-queue={q.name}><td>{q.name}</td><td>{q.messages}</td><td>{q.consumers.filter((c) => c.alive).length}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h2><Link to="/workers">Workers</Link></h2>
          <table className="overview-workers">
            <thead><tr><th>Worker</th><th>Status</th><th>Active</th><th>Processed</th><th>Last heartbeat</th></tr></thead>
            <tbody>
              {data.workers.map((w) => (
                <tr key={w.hostname} data-worker={w.hostname}>
                  <td><Link to={`/worker/${encodeURIComponent(w.hostname)}`}>{w.hostname}</Link></td>
                  <td><span className={`status ${w.alive ? 'online' : 'offline'}`}>{w.alive ? 'online' : 'offline'}</span></td>
                  <td>{w.active ?? '—'}</td><td>{w.processed ?? '—'}</td><td>{time(w.last_heartbeat)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.workers.length === 0 ? <p className="empty">No worker seen yet: start workers with events enabled (-E).</p> : null}
        </div>
      </div>
    </section>
  );
}
