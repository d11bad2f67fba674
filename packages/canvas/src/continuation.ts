/**
 * What a worker does after a task finished, for the canvas (Celery `celery/app/trace.py` success
 * branch and `Backend.mark_as_failure` / `_call_task_errbacks` in `celery/backends/base.py`).
 *
 * On success ({@link continueOnSuccess}), before the result is stored, as Celery does:
 * - `embed.callbacks` (link): one callback is applied with `(retval,)`; several are sent as one group
 *   (composite group callbacks on their own); `parent_id` = the task, `root_id` = its root;
 * - `embed.chain`: the **last** element is popped and applied with `(retval,)`, the rest of the chain
 *   (still reversed), `parent_id` = the task and the same `root_id`.
 *
 * On failure ({@link continueOnFailure}), after FAILURE is stored:
 * - every remaining chain element with a frozen `task_id` is stored as FAILURE with the same error, so
 *   a client waiting on the chain's last result gets the error (Celery ≥ 5.2);
 * - `embed.errbacks` (link_error): an errback whose task is registered in this worker, is not bound,
 *   and takes more than one parameter is called here with `(request, error, traceback, ...args)`
 *   (Celery's "new style"); every other errback is sent as a message with the failed task's id as
 *   its first argument (old style, the form Python workers and tasks of other languages receive),
 *   all of them as one group, `parent_id` = the failed task, `root_id` = its root.
 *
 * A chord header task (`embed.chord` set) is then counted by the result backend, after the callbacks
 * and chain on success and before the chain and errbacks on failure, as in Celery; the worker that
 * finishes the last one applies the body or fails it (see `chord-join.ts`).
 */
import type { Celery, SignatureDict, Task, TaskRequest } from '@cq/app';
import type { Backend, TaskRequest as BackendRequest } from '@cq/backend';
import { FAILURE, SUCCESS } from '@cq/backend';
import { chordPartReturn } from './chord-join.js';
import { signatureFromDict } from './from-dict.js';
import { Group } from './group.js';
import type { AnySignature } from './signature.js';

/** The finished task, as the worker knows it. */
export interface FinishedRequest {
  app: Celery;
  /** The request of the task that finished (its `embed` holds callbacks, errbacks and chain). */
  request: TaskRequest;
}

function idsOf(request: TaskRequest): { parentId: string; rootId: string } {
  return { parentId: request.id, rootId: request.rootId || request.id };
}

/**
 * True when {@link continueOnSuccess} has something to do for `request`: link callbacks, a chain to
 * continue or a chord to count. The worker skips the call (and its task context) otherwise.
 */
export function hasSuccessContinuation(request: TaskRequest): boolean {
  const { callbacks, chain, chord } = request.embed;
  return (callbacks?.length ?? 0) > 0 || (chain?.length ?? 0) > 0 || Boolean(chord);
}

/**
 * Sends the link callbacks and the next chain element of a task that returned `retval`. Throws what
 * sending throws (EncodeError, TransportError); the worker then fails the task, as Celery does.
 */
export async function continueOnSuccess({ app, request }: FinishedRequest, retval: unknown): Promise<void> {
  const ids = idsOf(request);
  const callbacks = request.embed.callbacks ?? [];
  if (callbacks.length === 1) {
    await signatureFromDict(callbacks[0]!, app).applyAsync([retval], ids);
  } else if (callbacks.length > 1) {
    const sigs = callbacks.map((cb) => signatureFromDict(cb, app));
    for (const g of sigs.filter((s) => s instanceof Group)) await g.applyAsync([retval], ids);
    const plain = sigs.filter((s) => !(s instanceof Group));
    if (plain.length > 0) await new Group(plain, app).applyAsync([retval], ids);
  }
  const chain = [...(request.embed.chain ?? [])];
  const next = chain.pop();
  if (next) await signatureFromDict(next, app).applyAsync([retval], { ...ids, chain });
  await chordPartReturn(app, request, SUCCESS, retval, (a, r, e) => applyErrbacks(a, r, e, null));
}

/** Options of {@link continueOnFailure}. */
export interface FailureOptions {
  /** The result backend, or null when results are disabled. */
  backend: Backend | null;
  /** Traceback text stored with the chain elements' FAILURE. */
  traceback: string | null;
  /** Whether failures are stored (false when the task ignores results and `task_store_errors_even_if_ignored` is off). */
  storeErrors: boolean;
}

/**
 * Marks the rest of the chain FAILURE and applies the errbacks of a task that failed with `error`.
 * Never throws: problems are logged on `app.log`, since the task has failed already.
 */
export async function continueOnFailure({ app, request }: FinishedRequest, error: Error, options: FailureOptions): Promise<void> {
  const log = app.log;
  await chordPartReturn(app, request, FAILURE, error, (a, r, e) => applyErrbacks(a, r, e, null)).catch((e: unknown) =>
    log.error(`could not count ${request.task}[${request.id}] as a failed part of chord ${request.group ?? ''}: ${String(e)}`));
  if (options.backend && options.storeErrors) {
    for (const elem of request.embed.chain ?? []) {
      const taskId = (elem.options ?? {})['task_id'];
      if (typeof taskId !== 'string') continue;
      await options.backend.markAsFailure(taskId, error, options.traceback, chainElementRequest(elem, request)).catch((e: unknown) =>
        log.error(`could not store FAILURE for chained task ${elem.task}[${taskId}]: ${String(e)}`));
    }
  }
  await applyErrbacks(app, request, error, options.traceback);
}

/** Celery `_call_task_errbacks`: new-style errbacks called here, old-style ones sent as one group. Never throws. */
export async function applyErrbacks(app: Celery, request: TaskRequest, error: Error, traceback: string | null): Promise<void> {
  const log = app.log;
  const oldStyle: AnySignature[] = [];
  for (const dict of request.embed.errbacks ?? []) {
    const sig = signatureFromDict(dict, app);
    const task = sig.subtaskType === null ? app.tasks.get(sig.task) : undefined;
    if (task && isNewStyleErrback(task)) {
      await callErrback(task, sig, request, error, traceback).catch((e: unknown) =>
        log.error(`errback ${sig.task} of ${request.task}[${request.id}] raised: ${String(e)}`));
    } else {
      oldStyle.push(sig);
    }
  }
  if (oldStyle.length > 0) {
    await new Group(oldStyle, app).applyAsync([request.id], idsOf(request)).catch((e: unknown) =>
      log.error(`could not send the errbacks of ${request.task}[${request.id}]: ${String(e)}`));
  }
}

/** Celery's rule: a task function taking more than one argument, not bound (`bind=True` tasks are called as messages). */
function isNewStyleErrback(task: Task): boolean {
  return !task.options.bind && task.paramNames.length > 1;
}

/** Calls an errback in this process as Celery's `errback(request, exc, traceback)` (`Signature.__call__`). */
async function callErrback(task: Task, sig: AnySignature, request: TaskRequest, error: Error, traceback: string | null): Promise<void> {
  const { args, kwargs } = sig.merge([request, error, traceback], {});
  const fn = task.fn as (...a: unknown[]) => unknown;
  await fn(...task.bindArguments(args, kwargs));
}

/** The request fields stored with a chain element's FAILURE (Celery builds a Context from its options). */
function chainElementRequest(elem: SignatureDict, request: TaskRequest): BackendRequest {
  const opts = elem.options ?? {};
  return {
    task: elem.task, args: elem.args, kwargs: elem.kwargs,
    group: typeof opts['group_id'] === 'string' ? opts['group_id'] : null,
    parentId: typeof opts['parent_id'] === 'string' ? opts['parent_id'] : null,
    replyTo: typeof opts['reply_to'] === 'string' ? opts['reply_to'] : request.replyTo,
    correlationId: opts['task_id'] as string,
  };
}
