/**
 * "Apply a task": sends a task by name with JSON args and kwargs, a countdown and a queue, through
 * Flower's `/api/task/async-apply/<name>` (which refuses a name no app, worker or event knows), then
 * links to the new task. Never rendered read-only.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Link } from '../router';

/** Parses a JSON field, naming it in the error. */
function parse(label: string, text: string, array: boolean): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() || (array ? '[]' : '{}'));
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message}`);
  }
  if (array ? !Array.isArray(value) : value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${label}: expected a JSON ${array ? 'array' : 'object'}`);
  }
  return value;
}

export function ApplyTaskForm({ types }: { types: string[] }) {
  const [name, setName] = useState('');
  const [args, setArgs] = useState('[]');
  const [kwargs, setKwargs] = useState('{}');
  const [countdown, setCountdown] = useState('');
  const [queue, setQueue] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState('');

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setSent(null);
    let body: Record<string, unknown>;
    try {
      body = { args: parse('args', args, true), kwargs: parse('kwargs', kwargs, false) };
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    if (countdown) body['countdown'] = Number(countdown);
    if (queue) body['queue'] = queue;
    setError('…');
    api.apply(name.trim(), body).then((r) => { setSent(r['task-id']); setError(''); }, (err: Error) => setError(err.message));
  };

  return (
    <details className="apply" data-testid="apply-task">
      <summary>Apply a task</summary>
      <form onSubmit={submit} aria-label="apply a task">
        <label>name <input aria-label="task to apply" list="task-types" required value={name} onChange={(e) => setName(e.target.value)} placeholder="proj.add" /></label>
        <datalist id="task-types">{types.map((t) => <option key={t} value={t} />)}</datalist>
        <label>args <input aria-label="args" className="mono" value={args} onChange={(e) => setArgs(e.target.value)} placeholder="[2, 3]" /></label>
        <label>kwargs <input aria-label="kwargs" className="mono" value={kwargs} onChange={(e) => setKwargs(e.target.value)} placeholder='{"x": 1}' /></label>
        <label>countdown <input aria-label="countdown" type="number" min={0} step="any" value={countdown} onChange={(e) => setCountdown(e.target.value)} placeholder="s" /></label>
        <label>queue <input aria-label="queue" value={queue} onChange={(e) => setQueue(e.target.value)} placeholder="default routing" /></label>
        <button type="submit">Apply</button>
        <span role="status" className="message">
          {sent ? <>sent <Link to={`/task/${sent}`} className="mono">{sent}</Link></> : error}
        </span>
      </form>
    </details>
  );
}
