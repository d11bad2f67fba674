/**
 * Shapes shared by every result backend: the task meta dict, group meta, result tuples and the
 * request fields a backend reads when it stores a state.
 */
import type { State } from './states.js';

/**
 * Celery's result tuple (`celery/result.py` `as_tuple` / `result_from_tuple`):
 * `[[id, parentTuple | null], null]` for an AsyncResult,
 * `[[groupId, parentTuple | null], [childTuple, ...]]` for a GroupResult.
 */
export type ResultTuple = [[string, ResultTuple | null], ResultTuple[] | null];

/** Anything with Celery's `as_tuple()`, e.g. the app's AsyncResult and GroupResult. */
export interface HasAsTuple {
  asTuple(): ResultTuple;
}

/**
 * The meta dict stored per task (Celery `Backend._get_result_meta` + `task_id`). Key order in
 * serialized form is: status, result, traceback, children, date_done, group_id, parent_id,
 * name, args, kwargs, worker, retries, queue, (stamped_headers and one key per stamp), task_id.
 */
export interface TaskMeta {
  status: State;
  /**
   * The return value; an {@link import('./exceptions.js').ExceptionInfo} dict for FAILURE, RETRY and
   * REVOKED; `{pid, hostname}` for STARTED; null for PENDING.
   */
  result: unknown;
  /** Traceback text of a failure, else null. */
  traceback: string | null;
  /** Result tuples of the subtasks the task sent (`[]` if none). */
  children: unknown[];
  /** ISO date-time the task became ready (UTC), null while not ready. */
  date_done: string | null;
  /** Only when the task ran in a group. */
  group_id?: string;
  /** Only when the task had a parent. */
  parent_id?: string;
  /** The next six only with `result_extended`: task name, args, kwargs, worker nodename, retries, routing key. */
  name?: string | null;
  args?: unknown[] | null;
  kwargs?: Record<string, unknown> | null;
  worker?: string | null;
  retries?: number | null;
  queue?: string | null;
  /** With `result_extended` and stamped headers (Celery ≥ 5.3): their names; each stamp is a key of its own. */
  stamped_headers?: string[];
  task_id: string;
}

/** What `restoreGroup` returns (Celery `_restore_group`). */
export interface GroupMeta {
  group_id: string;
  /** The group's result tuple, as saved. */
  result: unknown;
  /** When it was saved, where the store keeps it (database backends); else null. */
  date_done: string | null;
}

/**
 * The request fields a backend reads when storing a state (a structural subset of the worker's task
 * context, Celery `Context`). Every field is optional.
 */
export interface TaskRequest {
  /** Task name (Celery `request.task`) → meta `name`. */
  task?: string | null;
  /** → meta `args`. */
  args?: readonly unknown[] | null;
  /** → meta `kwargs`. */
  kwargs?: Readonly<Record<string, unknown>> | null;
  /** Worker nodename, e.g. `w1@host` → meta `worker`. */
  hostname?: string | null;
  /** → meta `retries`. */
  retries?: number | null;
  /** Delivery info of the message; its routing key → meta `queue`. */
  deliveryInfo?: { routingKey?: string | null } | null;
  /** Group id → meta `group_id` (stored even without result_extended). */
  group?: string | null;
  /** Parent task id → meta `parent_id`. */
  parentId?: string | null;
  /** The client's reply queue (message property `reply_to`); where `rpc://` sends results. */
  replyTo?: string | null;
  /** Message property `correlation_id` (the task id for task messages). */
  correlationId?: string | null;
  /** Results of the subtasks the task sent → meta `children` (as tuples). */
  children?: readonly (ResultTuple | HasAsTuple)[] | null;
  /** Stamped header names (Celery ≥ 5.3), stored with `stamps` when result_extended is on. */
  stampedHeaders?: readonly string[] | null;
  stamps?: Readonly<Record<string, unknown>> | null;
}

/** The request fields of a chord header task that {@link import('./backend.js').Backend.onChordPartReturn} reads. */
export interface ChordPartRequest {
  /** The header task's id. */
  id: string;
  /** The header group id (header `group`); nothing happens without it. */
  group: string | null;
  /** Position in the header (header `group_index`); null sorts last, as Celery's `+inf`. */
  groupIndex: number | null;
}

/** One finished chord header task, as stored by the backend (Celery's `[1, task_id, state, result]` entry). */
export interface ChordPart {
  taskId: string;
  state: State;
  /** The return value, or for FAILURE/REVOKED the exception dict. */
  result: unknown;
}
