/**
 * Queues: each queue's length on the broker and the workers consuming it (from their last
 * inspection); unless read-only, a worker can be told to start consuming a queue (`add_consumer`)
 * or to stop (`cancel_consumer`), after which the worker is inspected again.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, useLive, type QueueView, type Worker } from '../api';
import { Link } from '../router';

export function QueuesPage({ readOnly }: { readOnly: boolean }) {
  const [queues, setQueues] = useState<QueueView[] | null>(null);
  const [workers, setWorkers] = useState<Worker[]>([]);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [queue, setQueue] = useState('');
  const [worker, setWorker] = useState('');

  const load = useCallback(() => {
    api.queues().then((q) => { setQueues(q); setError(''); }, (e: Error) => setError(e.message));
    api.workers().then(setWorkers, () => undefined);
  }, []);
  useEffect(load, [load]);
  useLive(load, () => true, 1500);

  const alive = workers.filter((w) => w.alive).map((w) => w.hostname);
  const control = (verb: 'add-consumer' | 'cancel-consumer', q: string, w: string): void => {
    setMessage('…');
    api.control(`/api/worker/queue/${verb}/${encodeURIComponent(w)}`, { queue: q })
      .then((r) => { setMessage(r.message || `${verb === 'add-consumer' ? 'consuming' : 'cancelled'} ${q} on ${w}`); return api.refreshWorker(w); })
      .then(load, (e: Error) => setMessage(e.message));
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (queue && (worker || alive[0])) control('add-consumer', queue, worker || alive[0]!);
  };

  if (error) return <p className="error">{error}</p>;
  if (!queues) return <p>Loading…</p>;
  return (
    <section>
      <h1>Queues</h1>
      {readOnly ? null : (
        <form className="filters" onSubmit={submit} aria-label="add consumer">
          <input aria-label="queue name" placeholder="queue" value={queue} onChange={(e) => setQueue(e.target.value)} list="queue-names" />
          <datalist id="queue-names">{queues.map((q) => <option key={q.name} value={q.name} />)}</datalist>
          <select aria-label="consumer worker" value={worker} onChange={(e) => setWorker(e.target.value)}>
            {alive.map((w) => <option key={w} value={w}>{w}</option>)}
          </select>
          <button type="submit" disabled={!queue || alive.length === 0}>Add consumer</button>
          {message ? <span className="message" role="status">{message}</span> : null}
        </form>
      )}
      <table className="queues">
        <thead><tr><th>Queue</th><th>Messages</th><th>Consumers</th></tr></thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.name} data-queue={q.name}>
              <td className="mono">{q.name}</td>
              <td className="messages">{q.messages}</td>
              <td>
                {q.consumers.length === 0 ? <span className="hint">none</span> : null}
                {q.consumers.map((c) => (
                  <span key={c.worker} className={`chip ${c.alive ? '' : 'offline'}`} data-consumer={c.worker}>
                    <Link to={`/worker/${encodeURIComponent(c.worker)}`}>{c.worker}</Link>
                    {readOnly || !c.alive ? null : (
                      <button type="button" className="link" aria-label={`cancel ${q.name} on ${c.worker}`} title="Cancel consumer" onClick={() => control('cancel-consumer', q.name, c.worker)}>×</button>
                    )}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {queues.length === 0 ? <p className="empty">No queue known yet.</p> : null}
      <p className="hint">Queues the workers consume and the app's own (task_queues, else the default queue); consumers as the workers last answered inspect.</p>
    </section>
  );
}
