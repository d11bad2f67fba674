/**
 * One failure notification: what the webhook receives as JSON (the stable shape below, version 1)
 * and what the e-mail templates are filled from.
 *
 * ```json
 * {
 *   "version": 1,
 *   "event": "task-failed",                 // or "task-failures-suppressed" (a rate-limit digest)
 *   "app": "proj",                          // the app's main name
 *   "hostname": "celery@host",              // the worker's node name
 *   "timestamp": "2026-12-07T10:00:00.123Z", // when the task failed (a digest: its last suppressed failure)
 *   "task": { "name": "proj.add", "id": "…uuid…", "argsrepr": "(2, 'x')", "kwargsrepr": "{'y': 3}" },
 *   "exception": { "type": "ValueError", "message": "boom", "repr": "ValueError('boom')", "traceback": "ValueError: boom\n    at …" },
 *   "suppressed": 0,                        // a digest: failures of this task and exception type left out in the window
 *   "windowSeconds": null                   // a digest: the rate-limit window in seconds
 * }
 * ```
 * Arguments and the error's repr travel as Python reprs of at most 1,024 characters (Celery's
 * `argsrepr`), never whole, so a payload stays small whatever the task was given.
 */
import { argsRepr, kwargsRepr, pythonRepr } from '@cq/app';

export type NotificationEvent = 'task-failed' | 'task-failures-suppressed';

export interface FailureNotification {
  version: 1;
  event: NotificationEvent;
  app: string;
  hostname: string;
  timestamp: string;
  task: { name: string; id: string; argsrepr: string; kwargsrepr: string };
  exception: { type: string; message: string; repr: string; traceback: string | null };
  suppressed: number;
  windowSeconds: number | null;
}

/** A task failure as the plugin receives it from `task_failure`. */
export interface TaskFailure {
  app: string;
  hostname: string;
  taskName: string;
  taskId: string;
  args: readonly unknown[];
  kwargs: Record<string, unknown>;
  error: Error;
  traceback: string | null;
  at: Date;
}

/** The `task-failed` notification of `failure`. */
export function failureNotification(failure: TaskFailure): FailureNotification {
  const { error } = failure;
  return {
    version: 1,
    event: 'task-failed',
    app: failure.app,
    hostname: failure.hostname,
    timestamp: failure.at.toISOString(),
    task: { name: failure.taskName, id: failure.taskId, argsrepr: argsRepr(failure.args), kwargsrepr: kwargsRepr(failure.kwargs) },
    exception: { type: error.name, message: error.message, repr: `${error.name}(${pythonRepr(error.message, 1024)})`, traceback: failure.traceback },
    suppressed: 0,
    windowSeconds: null,
  };
}

/** The digest sent when a rate-limit window closes: `last` stands for the `suppressed` failures left out. */
export function suppressedDigest(last: FailureNotification, suppressed: number, windowSeconds: number): FailureNotification {
  return { ...last, event: 'task-failures-suppressed', suppressed, windowSeconds };
}

/**
 * The values the e-mail templates are filled with: Celery `ErrorMail`'s context (`name`, `id`,
 * `exc`, `args`, `kwargs`, `traceback`, `hostname`) plus `type` (the error's class name),
 * `suppressed` and `window` (seconds) for digests.
 */
export type ErrorMailContext = Readonly<Record<'name' | 'id' | 'exc' | 'args' | 'kwargs' | 'traceback' | 'hostname' | 'type' | 'suppressed' | 'window', string>>;

export function mailContext(n: FailureNotification): ErrorMailContext {
  return {
    name: n.task.name, id: n.task.id, exc: n.exception.repr, args: n.task.argsrepr, kwargs: n.task.kwargsrepr,
    traceback: n.exception.traceback ?? '(no traceback)', hostname: n.hostname, type: n.exception.type,
    suppressed: String(n.suppressed), window: String(n.windowSeconds ?? ''),
  };
}
