/**
 * Running a task in this process (Celery `Task.apply` + `build_tracer(eager=True)` in
 * `celery/app/trace.py`), behind `task.apply()` and `task_always_eager`. The order is the worker's:
 *
 * 1. `task_prerun`;
 * 2. `beforeStart`, then the function (a throw in either is the task's failure);
 * 3. success: stored (only with `task_store_eager_result`), `onSuccess`, `task_success`;
 *    Retry (also from `autoretryFor`): `onRetry`, `task_retry`, then the retry runs at once with
 *    `retries + 1` and its result is returned; failure: stored (same rule), `onFailure`, `task_failure`;
 *    Ignore / Reject: IGNORED / REJECTED, no handler;
 * 4. `afterReturn` (SUCCESS and FAILURE only), then `task_postrun`, always.
 *
 * With `throw` (default `task_eager_propagates`) a failure or a Retry rejects the call at step 3,
 * before any handler, as Celery's `propagate`. A handler that throws rejects the call whatever
 * `throw` says (Celery re-raises errors outside the body when eager). No time limits, no link
 * callbacks or chains, no children.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Backend, TaskRequest as BackendRequest } from '@cq/backend';
import { autoretryFor } from './autoretry.js';
import { runWithContext, type TaskContext, type TaskRequest } from './context.js';
import { EagerResult } from './eager-result.js';
import { Ignore, Reject, Retry, TaskSignal } from './errors.js';
import { pythonRepr } from './protocol/repr.js';
import { task_failure, task_postrun, task_prerun, task_retry, task_success, type ExceptionInfo } from './signals.js';
import { taskHasCustom, type ApplyOptions, type Task } from './task.js';

/** Options of `Task.apply()`: the ApplyOptions that matter here, and `throw`. */
export interface EagerApplyOptions extends ApplyOptions {
  /** Reject with the task's error (or Retry) instead of returning it (Celery `throw`). Default `task_eager_propagates` (false). */
  throw?: boolean;
}

/** The error info handed to `onFailure`/`onRetry` and the failure signals (billiard `ExceptionInfo`). */
export function exceptionInfo(error: Error): ExceptionInfo {
  return { type: error.name, exception: error, traceback: error.stack ?? null };
}

/** Runs `task` now and resolves with its {@link EagerResult}; see the module doc. */
export async function applyEagerly<R>(task: Task<unknown[], R>, args: readonly unknown[], options: EagerApplyOptions): Promise<EagerResult<R>> {
  const conf = task.app.conf;
  const propagate = options.throw ?? conf?.task_eager_propagates ?? false;
  const request = eagerRequest(task, args, options);
  const { id, kwargs } = request;
  const ignoreResult = task.options.ignoreResult ?? conf?.task_ignore_result ?? false;
  const storeEager = conf?.task_store_eager_result ?? false;
  // Celery: store_errors = store_errors_even_if_ignored when ignoring, else store_eager_result.
  const storeErrors = ignoreResult ? task.options.storeErrorsEvenIfIgnored ?? conf?.task_store_errors_even_if_ignored ?? false : storeEager;
  const backend: Backend | null = (storeEager || storeErrors) && task.app.backend ? await task.app.backend() : null;
  const info: BackendRequest = { task: task.name, args: request.args, kwargs, retries: request.retries, hostname: request.hostname, parentId: request.parentId, group: request.group };
  const log = task.app.log;
  const argv = request.args;
  let state = 'SUCCESS';
  let retval: unknown = null;
  let traceback: string | null = null;
  const started = performance.now();
  task_prerun.send(task, { taskId: id, task, args: argv, kwargs, request });
  try {
    try {
      const context = eagerContext(task, request, backend);
      retval = (await runWithContext(context, () => task.invoke(context, argv, kwargs))) ?? null;
    } catch (thrown) {
      let err = thrown;
      const auto = err instanceof TaskSignal ? null : autoretryFor(task.options, err, request.retries);
      if (auto) err = retryOrError(task, request, auto);
      if (err instanceof Reject || err instanceof Ignore) {
        state = err instanceof Reject ? 'REJECTED' : 'IGNORED';
        retval = err;
        log?.info(`Task ${task.name}[${id}] ${err instanceof Reject ? err.message : 'ignored'}`);
      } else if (err instanceof Retry) {
        if (propagate) throw err;
        state = 'RETRY';
        retval = err;
        const exc = err.options.exc ?? null;
        const einfo = exceptionInfo(exc instanceof Error ? exc : err);
        if (backend && storeErrors) await backend.markAsRetry(id, exc ?? err, einfo.traceback, info);
        await task.onRetry(exc, id, argv, kwargs, einfo);
        task_retry.send(task, { request, reason: err, einfo });
        log?.info(`Task ${task.name}[${id}] retry: ${err.message}`);
      } else {
        if (propagate) throw err;
        const error = err instanceof Error ? err : new Error(String(err));
        state = 'FAILURE';
        retval = error;
        traceback = error.stack ?? null;
        const einfo = exceptionInfo(error);
        if (backend && storeErrors) await backend.markAsFailure(id, error, traceback, info);
        await task.onFailure(error, id, argv, kwargs, einfo);
        task_failure.send(task, { taskId: id, exception: error, args: argv, kwargs, traceback, einfo });
        log?.error(`Task ${task.name}[${id}] raised unexpected: ${error.name}(${pythonRepr(error.message)})`);
      }
    }
    if (state === 'SUCCESS') {
      if (backend && storeEager && !ignoreResult) await backend.markAsDone(id, retval, info);
      if (taskHasCustom(task, 'onSuccess')) await task.onSuccess(retval as R, id, argv, kwargs);
      const runtime = (performance.now() - started) / 1000;
      task_success.send(task, { result: retval, runtime });
      if (log?.isLevelEnabled('info')) log.info(`Task ${task.name}[${id}] succeeded in ${runtime}s: ${pythonRepr(retval, 256)}`);
    }
    if ((state === 'SUCCESS' || state === 'FAILURE') && taskHasCustom(task, 'afterReturn')) {
      await task.afterReturn(state, retval, id, argv, kwargs, null);
    }
  } finally {
    task_postrun.send(task, { taskId: id, task, args: argv, kwargs, retval, state, request });
  }
  if (retval instanceof Retry && retval.sig) {
    // Celery: `retval.sig.apply(retries=retries + 1)`, at once, whatever the countdown.
    const { name, args: retryArgs, options: retryOptions } = retval.sig;
    const next = name === task.name ? task : null;
    if (next) return applyEagerly<R>(next, retryArgs ?? [], { ...(retryOptions as ApplyOptions), retries: request.retries + 1 });
  }
  return new EagerResult<R>(id, retval, state, traceback, task.name);
}

/** Celery's eager request: `is_eager`, this host, delivery info from the options. */
function eagerRequest(task: Task<unknown[], unknown>, args: readonly unknown[], options: EagerApplyOptions): TaskRequest {
  const queue = options.queue;
  return {
    id: options.taskId ?? randomUUID(), task: task.name, args: [...args], kwargs: options.kwargs ?? {}, retries: options.retries ?? 0,
    eta: null, expires: null, hostname: os.hostname(),
    deliveryInfo: {
      exchange: options.exchange ?? '', routing_key: options.routingKey ?? (typeof queue === 'string' ? queue : queue?.routingKey ?? ''),
      redelivered: false, ...(options.priority === undefined ? {} : { priority: options.priority }),
    },
    replyTo: null, correlationId: null, parentId: options.parentId ?? null, rootId: options.rootId ?? null,
    group: options.groupId ?? null, groupIndex: options.groupIndex ?? null, origin: null, timeLimit: [null, null],
    ignoreResult: options.ignoreResult ?? false, headers: options.headers ?? {},
    embed: { callbacks: options.link ?? null, errbacks: options.linkError ?? null, chain: null, chord: null },
    isEager: true,
  };
}

/** The Retry `ctx.retry(auto)` would throw, or the error it throws when no retries are left. */
function retryOrError(task: Task<unknown[], unknown>, request: TaskRequest, auto: NonNullable<ReturnType<typeof autoretryFor>>): unknown {
  try {
    return task.retrySignal(request, auto);
  } catch (err) {
    return err;
  }
}

function eagerContext(task: Task<unknown[], unknown>, request: TaskRequest, backend: Backend | null): TaskContext {
  return {
    name: task.name,
    request,
    signal: new AbortController().signal,
    retry: (options = {}): never => {
      throw task.retrySignal(request, options);
    },
    // Celery's update_state stores even when eager, through the app's backend.
    updateState: async ({ state, meta }) => {
      const store = backend ?? (task.app.backend ? await task.app.backend() : null);
      await store?.storeResult(request.id, meta ?? null, state, { request: { task: task.name, args: request.args, kwargs: request.kwargs } });
    },
  };
}
