/**
 * Flower's JSON shapes, built from stored rows, so scripts written against Flower's API read ours.
 *
 * A task is Celery's `events.state.Task.as_dict()` (its `_fields`, in order): `root` and `parent`
 * are the ids, `children` the ids of tasks whose parent it is, `worker` the host name. Flower's
 * `/api/task/info` keeps `worker` in place (null when unknown); `/api/tasks` moves it last and leaves
 * it out when unknown. Times are float Unix seconds; `args`, `kwargs` and `result` are the reprs the
 * events carry.
 */
import { pythonRepr } from '@cq/celery';
import type { TaskRow } from './store/event-store.js';

/** Celery's `Task._fields`, in order. */
export const TASK_FIELDS = [
  'uuid', 'name', 'state', 'received', 'sent', 'started', 'rejected', 'succeeded', 'failed', 'retried', 'revoked', 'args',
  'kwargs', 'eta', 'expires', 'retries', 'worker', 'result', 'exception', 'timestamp', 'runtime', 'traceback', 'exchange',
  'routing_key', 'clock', 'client', 'root', 'root_id', 'parent', 'parent_id', 'children',
] as const;

/** A task as Celery's `Task.as_dict()` gives it (Flower `/api/task/info/<id>`). */
export function taskAsDict(row: TaskRow, children: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of TASK_FIELDS) {
    if (field === 'root') out[field] = row.root_id;
    else if (field === 'parent') out[field] = row.parent_id;
    else if (field === 'children') out[field] = [...children];
    else out[field] = row[field];
  }
  return out;
}

/** A task as Flower's `/api/tasks` lists it: `worker` last, absent when unknown. */
export function listedTask(row: TaskRow, children: readonly string[] = []): Record<string, unknown> {
  const { worker, ...rest } = taskAsDict(row, children);
  return worker === null ? rest : { ...rest, worker };
}

/**
 * What Flower's `safe_result` writes for a result: the value when JSON can hold it; for a failure,
 * Python's repr of the exception (`ValueError('boom')`), built from Celery's exception info.
 */
export function safeResult(state: string, result: unknown): unknown {
  if ((state === 'FAILURE' || state === 'REVOKED' || state === 'RETRY') && result && typeof result === 'object') {
    const info = result as { exc_type?: unknown; exc_message?: unknown };
    if (typeof info.exc_type === 'string') {
      const args = Array.isArray(info.exc_message) ? info.exc_message : info.exc_message === undefined ? [] : [info.exc_message];
      return `${info.exc_type}(${args.map((a) => pythonRepr(a)).join(', ')})`;
    }
  }
  if (result instanceof Error) return `${result.name}(${pythonRepr(result.message)})`;
  return result === undefined ? null : result;
}
