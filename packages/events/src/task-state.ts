/**
 * One task as the cluster state sees it (Celery `celery/events/state.py` `Task`): its state and the
 * fields of its events. Events may arrive out of order: an event whose state logically happens
 * before the current one (by Celery's state precedence) only contributes the fields of its merge
 * rule (for `RECEIVED`: name, args, kwargs, parent_id, root_id, retries, eta, expires) and does not
 * change `state`. Timestamps are in seconds.
 */
import { READY_STATES, precedence } from '@cq/backend';
import type { CeleryEvent } from './event.js';
import type { WorkerState } from './worker-state.js';

/** Task event subjects and the state each one means (Celery `TASK_EVENT_TO_STATE`). */
export const TASK_EVENT_TO_STATE: Readonly<Record<string, string>> = Object.freeze({
  sent: 'PENDING', received: 'RECEIVED', started: 'STARTED', failed: 'FAILURE', retried: 'RETRY',
  succeeded: 'SUCCESS', revoked: 'REVOKED', rejected: 'REJECTED',
});

const MERGE_RULES: Readonly<Record<string, readonly string[]>> = {
  RECEIVED: ['name', 'args', 'kwargs', 'parent_id', 'root_id', 'retries', 'eta', 'expires'],
};

/** Fields {@link TaskState.info} shows by default (Celery `_info_fields`). */
const INFO_FIELDS = ['args', 'kwargs', 'retries', 'result', 'eta', 'runtime', 'expires', 'exception', 'exchange', 'routing_key', 'root_id', 'parent_id'];

export class TaskState {
  state = 'PENDING';
  name: string | null = null;
  clock = 0;
  /** Timestamp (s) of the last event that set `state`. */
  timestamp: number | null = null;
  /** Timestamps (s) of each kind of event, when seen. */
  sent: number | null = null;
  received: number | null = null;
  started: number | null = null;
  succeeded: number | null = null;
  failed: number | null = null;
  retried: number | null = null;
  revoked: number | null = null;
  rejected: number | null = null;
  args: string | null = null;
  kwargs: string | null = null;
  retries: number | null = null;
  eta: string | null = null;
  expires: string | null = null;
  result: string | null = null;
  exception: string | null = null;
  traceback: string | null = null;
  /** Seconds the task ran. */
  runtime: number | null = null;
  exchange: string | null = null;
  routing_key: string | null = null;
  root_id: string | null = null;
  parent_id: string | null = null;
  /** Worker that ran it; null until a worker event about it arrives. */
  worker: WorkerState | null = null;
  /** Client (`hostname` of the `task-sent` event). */
  client: string | null = null;
  /** Other fields of its events (custom events, newer Celery fields). */
  readonly extra: Record<string, unknown> = {};

  constructor(readonly uuid: string) {}

  /** Applies a task event by subject (`received`, `succeeded`, or a custom one), as Celery's `Task.event`. */
  event(subject: string, timestamp: number | undefined, fields: CeleryEvent): void {
    let state = TASK_EVENT_TO_STATE[subject];
    if (state !== undefined) (this as Record<string, unknown>)[subject] = timestamp ?? null;
    else state = subject.toUpperCase();
    let apply: Record<string, unknown> = { ...fields };
    if (state !== 'RETRY' && this.state !== 'RETRY' && precedence(state) > precedence(this.state)) {
      // This event logically happened before the current state: keep only its merge-rule fields.
      const keep = MERGE_RULES[state];
      if (keep) apply = Object.fromEntries(Object.entries(apply).filter(([k]) => keep.includes(k)));
    } else {
      apply['state'] = state;
      apply['timestamp'] = timestamp ?? null;
    }
    for (const [key, value] of Object.entries(apply)) {
      if (key === 'type' || key === 'uuid' || key === 'hostname' || key === 'worker' || key === 'client') continue;
      if (Object.hasOwn(this, key) && key !== 'extra') (this as Record<string, unknown>)[key] = value;
      else this.extra[key] = value;
    }
  }

  /** True in SUCCESS, FAILURE or REVOKED. */
  get ready(): boolean {
    return READY_STATES.has(this.state);
  }

  /** The set fields among `fields` (default Celery's info fields), for display. */
  info(fields: readonly string[] = INFO_FIELDS): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of fields) {
      const value = (this as Record<string, unknown>)[key] ?? this.extra[key];
      if (value !== null && value !== undefined) out[key] = value;
    }
    return out;
  }
}
