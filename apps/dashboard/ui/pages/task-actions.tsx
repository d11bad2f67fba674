/** Revoke and terminate (tasks in progress) and retry (failed or revoked tasks); never shown read-only. */
import { useState } from 'react';
import { api, UNREADY, type Task } from '../api';
import { navigate } from '../router';

export function TaskActions({ task, onDone, compact = false }: { task: Task; onDone: () => void; compact?: boolean }) {
  const [message, setMessage] = useState('');
  const run = (action: () => Promise<{ message?: string; 'task-id'?: string }>, then?: (r: { 'task-id'?: string }) => void): void => {
    setMessage('…');
    action().then((r) => {
      setMessage(r.message ?? (r['task-id'] ? `sent ${r['task-id']}` : 'done'));
      onDone();
      then?.(r);
    }, (e: Error) => setMessage(e.message));
  };
  const retryable = task.state === 'FAILURE' || task.state === 'REVOKED';
  return (
    <span className="actions">
      {UNREADY.has(task.state) ? (
        <>
          <button type="button" onClick={() => run(() => api.revoke(task.uuid, false))}>Revoke</button>
          <button type="button" className="danger" onClick={() => run(() => api.revoke(task.uuid, true))}>Terminate</button>
        </>
      ) : null}
      {retryable ? (
        <button type="button" onClick={() => run(() => api.retry(task.uuid), (r) => { if (!compact && r['task-id']) navigate(`/task/${r['task-id']}`); })}>Retry</button>
      ) : null}
      {message ? <span className="message" role="status">{message}</span> : null}
    </span>
  );
}
