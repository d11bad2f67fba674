/**
 * Remote control of one worker through Flower's API: pool grow/shrink and autoscale bounds, add and
 * cancel a queue consumer, a task type's rate limit and time limits, and shutdown (asked twice).
 * After each command the worker is inspected again so the page shows its new pool and queues. Never
 * rendered read-only (the server refuses these calls then too).
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, type Worker } from '../api';

function Action({ title, children, onSubmit }: { title: string; children: ReactNode; onSubmit: () => void }) {
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="action" onSubmit={submit} aria-label={title}>
      <strong>{title}</strong>
      {children}
    </form>
  );
}

export function WorkerActions({ worker, registered, queues, onDone }: { worker: Worker; registered: string[]; queues: string[]; onDone: () => void }) {
  const name = worker.hostname;
  const w = encodeURIComponent(name);
  const [message, setMessage] = useState('');
  const [n, setN] = useState('1');
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const [queue, setQueue] = useState('');
  const [task, setTask] = useState(registered[0] ?? '');
  const [rate, setRate] = useState('');
  const [soft, setSoft] = useState('');
  const [hard, setHard] = useState('');
  const [confirming, setConfirming] = useState(false);

  const run = (path: string, args: Record<string, unknown> = {}): void => {
    setMessage('…');
    api.control(path, args)
      .then((r) => { setMessage(r.message); return api.refreshWorker(name).catch(() => undefined); })
      .then(onDone, (e: Error) => setMessage(e.message));
  };
  const taskPath = (kind: 'rate-limit' | 'timeout'): string => `/api/task/${kind}/${encodeURIComponent(task)}`;

  return (
    <div className="worker-actions" data-testid="worker-actions">
      <h2>Actions</h2>
      <Action title="Pool" onSubmit={() => run(`/api/worker/pool/grow/${w}`, { n: Number(n) })}>
        <input aria-label="processes" type="number" min={1} value={n} onChange={(e) => setN(e.target.value)} />
        <button type="submit">Grow</button>
        <button type="button" onClick={() => run(`/api/worker/pool/shrink/${w}`, { n: Number(n) })}>Shrink</button>
      </Action>
      <Action title="Autoscale" onSubmit={() => run(`/api/worker/pool/autoscale/${w}`, { min: Number(min), max: Number(max) })}>
        <input aria-label="autoscale min" type="number" min={0} placeholder="min" value={min} onChange={(e) => setMin(e.target.value)} />
        <input aria-label="autoscale max" type="number" min={1} placeholder="max" value={max} onChange={(e) => setMax(e.target.value)} />
        <button type="submit" disabled={min === '' || max === ''}>Set autoscale</button>
      </Action>
      <Action title="Consumer" onSubmit={() => run(`/api/worker/queue/add-consumer/${w}`, { queue })}>
        <input aria-label="consumer queue" placeholder="queue" list="worker-queues" value={queue} onChange={(e) => setQueue(e.target.value)} />
        <datalist id="worker-queues">{queues.map((q) => <option key={q} value={q} />)}</datalist>
        <button type="submit" disabled={!queue}>Add consumer</button>
        <button type="button" disabled={!queue} onClick={() => run(`/api/worker/queue/cancel-consumer/${w}`, { queue })}>Cancel consumer</button>
      </Action>
      <Action title="Rate limit" onSubmit={() => run(taskPath('rate-limit'), { workername: name, ratelimit: rate })}>
        <select aria-label="rate limit task" value={task} onChange={(e) => setTask(e.target.value)}>
          {registered.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <input aria-label="rate" placeholder="10/m, 1/s, 0 = none" value={rate} onChange={(e) => setRate(e.target.value)} />
        <button type="submit" disabled={!task || !rate}>Set rate limit</button>
      </Action>
      <Action title="Time limits" onSubmit={() => run(taskPath('timeout'), { workername: name, ...(soft ? { soft: Number(soft) } : {}), ...(hard ? { hard: Number(hard) } : {}) })}>
        <select aria-label="time limit task" value={task} onChange={(e) => setTask(e.target.value)}>
          {registered.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <input aria-label="soft limit" type="number" min={0} step="any" placeholder="soft (s)" value={soft} onChange={(e) => setSoft(e.target.value)} />
        <input aria-label="hard limit" type="number" min={0} step="any" placeholder="hard (s)" value={hard} onChange={(e) => setHard(e.target.value)} />
        <button type="submit" disabled={!task || (!soft && !hard)}>Set time limits</button>
      </Action>
      <Action title="Shutdown" onSubmit={() => { setConfirming(false); run(`/api/worker/shutdown/${w}`); }}>
        {confirming ? (
          <>
            <button type="submit" className="danger">Confirm shutdown</button>
            <button type="button" onClick={() => setConfirming(false)}>Keep running</button>
          </>
        ) : <button type="button" className="danger" onClick={() => setConfirming(true)}>Shut down</button>}
      </Action>
      {message ? <p className="message" role="status">{message}</p> : null}
    </div>
  );
}
