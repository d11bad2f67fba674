/**
 * One task message being run (Celery `celery/worker/request.py` + `celery/app/trace.py`): acks at the
 * right moment, runs the function with its context and limits, stores the outcome, and handles the
 * Retry / Ignore / Reject signals.
 *
 * The task's handlers fire in `trace.py`'s order: `task_prerun` → `beforeStart` (inside
 * `Task.invoke`, where the function runs) → the function → SUCCESS stored → `onSuccess` →
 * `task_success` → `afterReturn`; or FAILURE stored (errbacks, chain) → `onFailure` → `task_failure`
 * → `afterReturn`; or retry sent, RETRY stored → `onRetry` → `task_retry`; then `task_postrun`.
 * Revoked, requeued (worker lost), ignored and rejected tasks get no handler. A handler other than
 * `beforeStart` that throws is what Celery calls an internal error ("Exception raised outside
 * body"): it is logged, `task_postrun` is sent with the traced state, FAILURE is stored with the
 * handler's error (a SUCCESS already stored stays: the backends refuse to overwrite it, as Celery's
 * key-value backends do), `onFailure` gets that error and `task_failure` is sent; no `afterReturn`.
 */
import { performance } from 'node:perf_hooks';
import type { Message } from '@cq/kombu';
import {
  Ignore, Reject, Retry, SoftTimeLimitExceeded, TaskContextBase, TaskSignal, TimeLimitExceeded, autoretryFor, exceptionInfo, pythonRepr, runWithContext,
  recordedChildren, taskHasCustom,
  type Celery, type RetryOptions, type Task, type TaskContext, type TaskHookName, type TaskRequest, type TaskRequestFields,
} from '@cq/app';
import type { Backend, TaskRequest as BackendRequest } from '@cq/backend';
import type { Logger } from '@cq/app';
import { task_failure, task_postrun, task_prerun, task_retry, task_revoked, task_success } from '@cq/app';
import { continueOnFailure, continueOnRevoked, continueOnSuccess, hasSuccessContinuation } from '@cq/canvas';
import { WorkerLostError, WorkerTerminate } from './errors.js';
import type { Executor } from './executor.js';
import { canTerminateJobs } from './pool-capabilities.js';

/** A settled promise, for what has nothing to wait for. */
const RESOLVED: Promise<void> = Promise.resolve();

/** How a request ended: REVOKED by a revoke (with terminate, or discarded before it began), RETRY also for a cancel at shutdown. */
export type Outcome = 'SUCCESS' | 'FAILURE' | 'RETRY' | 'IGNORED' | 'REJECTED' | 'REVOKED';

export interface RequestEnv {
  app: Celery;
  backend: Backend | null;
  hostname: string;
  log: Logger;
  /** Worker-wide limits in seconds (`--time-limit`, `--soft-time-limit`). */
  timeLimit: number | null;
  softTimeLimit: number | null;
  /** Where the function runs: a process pool's children; absent or null, in-process (`async`, `solo`). */
  executor?: Executor | null;
  /** Called when a due request is handed on to run (rate limit, pool): the worker's reserved requests. */
  onReserved?: (request: Request) => void;
  /** Called when a reserved request leaves without running (revoked or expired while it waited, or given back). */
  onReleased?: (request: Request) => void;
  /** Called when the task starts (the worker's active requests, Celery `task_accepted`). */
  onStart?: (request: Request) => void;
  /** Called when the task finished, whatever the outcome. */
  onDone?: (request: Request, outcome: Outcome) => void;
}

/** How a failed task's message is settled (Celery `Request.on_failure`). */
export interface FailureSettlement {
  /** `none`: already acked before running (early ack). */
  settle: 'ack' | 'reject' | 'requeue' | 'none';
  /** False when the message was requeued: no FAILURE is stored and no task_failure is sent. */
  storeFailure: boolean;
}

/**
 * The decision of Celery `Request.on_failure` for a task that failed with `error`: with acks late, a
 * {@link WorkerLostError} (the process running it died) and `rejectOnWorkerLost`
 * (`task_reject_on_worker_lost`) requeue the message and store nothing; otherwise the message is
 * acked when `acksOnFailureOrTimeout` (`task_acks_on_failure_or_timeout`, default true), else
 * rejected without requeue, and FAILURE is stored. With early ack there is nothing left to settle.
 */
export function failureSettlement(error: unknown, options: { acksLate: boolean; rejectOnWorkerLost: boolean; acksOnFailureOrTimeout: boolean }): FailureSettlement {
  if (!options.acksLate) return { settle: 'none', storeFailure: true };
  if (options.rejectOnWorkerLost && error instanceof WorkerLostError) return { settle: 'requeue', storeFailure: false };
  return { settle: options.acksOnFailureOrTimeout ? 'ack' : 'reject', storeFailure: true };
}

/** The request fields a result backend records (ids, and the extended-result fields). */
export function backendRequest(fields: TaskRequestFields, hostname: string, routingKey: string): BackendRequest {
  return {
    task: fields.name, args: fields.args, kwargs: fields.kwargs, hostname, retries: fields.retries,
    group: fields.group ?? null, parentId: fields.parentId ?? null, deliveryInfo: { routingKey },
    replyTo: fields.replyTo, correlationId: fields.correlationId,
  };
}

export class Request {
  readonly request: TaskRequest;
  readonly acksLate: boolean;
  /** The task's abort signal, made on first use: most tasks never look at it. */
  private readonly abort = new LazyAbort();
  startedAt = 0;

  constructor(readonly message: Message, readonly fields: TaskRequestFields, readonly task: Task, private readonly env: RequestEnv) {
    this.request = {
      id: fields.id, task: fields.name, args: fields.args, kwargs: fields.kwargs, retries: fields.retries,
      eta: fields.eta, expires: fields.expires, hostname: env.hostname,
      deliveryInfo: message.deliveryInfo.priority === undefined && typeof message.properties.priority === 'number'
        ? { ...message.deliveryInfo, priority: message.properties.priority } : message.deliveryInfo,
      replyTo: fields.replyTo ?? null, correlationId: fields.correlationId ?? null, parentId: fields.parentId ?? null,
      rootId: fields.rootId ?? null, group: fields.group ?? null, groupIndex: fields.groupIndex ?? null,
      origin: fields.origin ?? null, timeLimit: fields.timeLimit, ignoreResult: fields.ignoreResult,
      headers: fields.headers, embed: fields.embed, isEager: false,
    };
    this.acksLate = task.options.acksLate ?? env.app.conf.task_acks_late;
  }

  get id(): string {
    return this.fields.id;
  }

  /** What the result backend records for extended results and ids. */
  private storeInfo(): BackendRequest {
    return backendRequest(this.fields, this.env.hostname, this.message.deliveryInfo.routing_key);
  }

  /** What the backend records: `storeInfo()` plus the children the task sent so far (read when called). */
  private recordInfo(): BackendRequest {
    const info = this.storeInfo();
    info.children = recordedChildren(this.request);
    return info;
  }

  /** Stops the task cooperatively (revoke, cold shutdown). */
  cancel(reason: unknown): void {
    this.abort.abort(reason);
  }

  /** Runs the task to completion; never throws. */
  async execute(): Promise<void> {
    // No closures here: this runs for every task (and under tsx each named one costs a `__name` call).
    const { app, backend, log } = this.env;
    const conf = app.conf;
    const ignoreResult = this.ignoresResult();
    const storeErrors = !ignoreResult || (this.task.options.storeErrorsEvenIfIgnored ?? conf.task_store_errors_even_if_ignored);
    let outcome: Outcome = 'SUCCESS';
    let traced: Outcome = 'SUCCESS';
    let retval: unknown = null;
    const { args, kwargs } = this.fields;
    try {
      try {
        if (!this.env.executor) {
          this.begin();
          if (this.started) await this.started;
        }
        let value = this.runUntilTerminated();
        if (isThenable(value)) value = await value;
        if (this.started) await this.started;
        retval = value ?? null;
        // Canvas: link callbacks and the next chain link are sent before the result is stored (Celery
        // trace), as the task's children.
        if (hasSuccessContinuation(this.request)) await runWithContext(this.context(), () => continueOnSuccess({ app, request: this.request }, value ?? null));
        if (backend && !ignoreResult) await backend.markAsDone(this.id, value ?? null, this.recordInfo());
        if (taskHasCustom(this.task, 'onSuccess')) await this.hook('onSuccess', () => this.task.onSuccess(retval, this.id, args, kwargs));
        // The repr of the result is not free: build the line only when it is written.
        if (log.isLevelEnabled('info')) log.info(`Task ${this.fields.name}[${this.id}] succeeded in ${this.elapsed()}s: ${pythonRepr(value ?? null, 256)}`);
        if (task_success.receivers > 0) task_success.send(this.task, { result: retval, runtime: (performance.now() - this.startedAt) / 1000 });
        if (taskHasCustom(this.task, 'afterReturn')) await this.hook('afterReturn', () => this.task.afterReturn('SUCCESS', retval, this.id, args, kwargs, null));
      } catch (err) {
        if (err instanceof HandlerError) throw err;
        retval = err;
        try {
          outcome = traced = await this.handleError(err, storeErrors, this.recordInfo());
        } catch (e) {
          if (e instanceof HandlerError) traced = e.handler === 'onRetry' ? 'RETRY' : 'FAILURE';
          throw e;
        }
      }
    } catch (err) {
      if (!(err instanceof HandlerError)) throw err;
      // Celery sends task_postrun (with the traced state) before it handles an error outside the body.
      this.postrun(retval, traced);
      outcome = await this.internalError(err, storeErrors, this.recordInfo());
    } finally {
      // A failure was settled by handleError (Celery on_failure); any other outcome is acked now, and
      // so is an early-ack task that failed before a child began it.
      if (!this.message.acknowledged && !this.terminated) await this.settle('ack');
      this.postrun(retval, traced);
      this.env.onDone?.(this, outcome);
    }
  }

  /** `ignore_result` for this request: the message's flag, else the task's option, else `task_ignore_result`. */
  private ignoresResult(): boolean {
    return this.fields.ignoreResult || (this.task.options.ignoreResult ?? this.env.app.conf.task_ignore_result);
  }

  /** With task_track_started: the STARTED write {@link begin} made, awaited before the result is stored. */
  private started: Promise<void> | null = null;
  private postrunSent = false;

  /**
   * Celery `on_accepted` + the start of `trace_task`: in-process right before the function, on a
   * process pool when a child begins the task. Early ack (not acks late) is sent here and not waited for.
   */
  private begin(): void {
    const { app, backend, log } = this.env;
    this.begun = true;
    this.startedAt = performance.now();
    this.env.onStart?.(this);
    if (!this.acksLate) this.settle('ack').catch((e: unknown) => log.error(`Task ${this.fields.name}[${this.id}] could not be acked: ${String(e)}`));
    if (task_prerun.receivers > 0) task_prerun.send(this.task, { taskId: this.id, task: this.task, args: this.fields.args, kwargs: this.fields.kwargs, request: this.request });
    if (backend && !this.ignoresResult() && (this.task.options.trackStarted ?? app.conf.task_track_started)) {
      const started = backend.markAsStarted(this.id, { pid: process.pid, hostname: this.env.hostname }, this.recordInfo()).then(() => undefined);
      started.catch(() => undefined); // awaited by execute
      this.started = started;
    }
  }

  /** Sends task_postrun once, for a request that began and was not terminated. */
  private postrun(retval: unknown, state: Outcome): void {
    if (this.postrunSent || !this.begun || this.terminated) return;
    this.postrunSent = true;
    if (task_postrun.receivers > 0) {
      task_postrun.send(this.task, { taskId: this.id, task: this.task, args: this.fields.args, kwargs: this.fields.kwargs, retval, state, request: this.request });
    }
  }

  /** Calls the task's handler `name` when it has its own; what it throws comes out as a {@link HandlerError}. */
  private async hook(name: TaskHookName, call: () => unknown): Promise<void> {
    if (!taskHasCustom(this.task, name)) return;
    try {
      await call();
    } catch (err) {
      throw new HandlerError(name, err);
    }
  }

  /**
   * A handler threw (Celery `report_internal_error` + `on_error`): logged as a warning, then the
   * task fails with the handler's error: FAILURE stored, the message settled as a failure,
   * `onFailure` (what it throws now is only logged), the failure logged, `task_failure` sent. The
   * canvas already continued (or failed) the chain and chord: nothing is sent again.
   */
  private async internalError(handler: HandlerError, storeErrors: boolean, info: BackendRequest): Promise<Outcome> {
    const { backend, log } = this.env;
    const error = handler.cause instanceof Error ? handler.cause : new Error(String(handler.cause));
    const { name, args, kwargs } = this.fields;
    log.warn(`Task ${name}[${this.id}] ${handler.message} (Exception raised outside body): ${error.name}(${pythonRepr(error.message)})\n${error.stack ?? ''}`);
    if (!this.message.acknowledged && !this.terminated) {
      const conf = this.env.app.conf;
      const decision = failureSettlement(error, {
        acksLate: this.acksLate, rejectOnWorkerLost: false,
        acksOnFailureOrTimeout: this.task.options.acksOnFailureOrTimeout ?? conf.task_acks_on_failure_or_timeout,
      });
      if (decision.settle !== 'none') await this.settle(decision.settle).catch((e: unknown) => log.error(`could not settle ${this.id}: ${String(e)}`));
    }
    if (backend && storeErrors) {
      await backend.markAsFailure(this.id, error, error.stack ?? null, info).catch((e: unknown) =>
        log.error(`Task ${name}[${this.id}] could not store its failure: ${String(e)}`));
    }
    const einfo = exceptionInfo(error);
    try {
      if (taskHasCustom(this.task, 'onFailure')) await this.task.onFailure(error, this.id, args, kwargs, einfo);
    } catch (e) {
      log.error(`Task handler raised error: ${String(e)}`);
    }
    log.error(`Task ${name}[${this.id}] raised unexpected: ${error.name}(${pythonRepr(error.message)})`);
    task_failure.send(this.task, { taskId: this.id, exception: error, args, kwargs, traceback: error.stack ?? null, einfo });
    return 'FAILURE';
  }

  private terminated: WorkerTerminate | null = null;
  /** Ended by a revoke (see {@link revokeNow}). */
  private revoked = false;
  /** Handed to a process pool's child (waiting there or running). */
  private inPool = false;
  /** Begun: in-process, or a child reported it started. */
  private begun = false;
  /** Rejects the promise of {@link runUntilTerminated} (one per request: `execute` runs once). */
  private onTerminate: ((err: WorkerTerminate) => void) | null = null;

  /**
   * {@link run}: what a synchronous function returned (or threw) as is, else a promise that rejects with
   * the {@link WorkerTerminate} as soon as the request is terminated, so `execute` stops waiting for
   * the function (whatever it does afterwards is ignored).
   */
  private runUntilTerminated(): unknown {
    const value = this.terminated ? null : this.run();
    if (this.terminated) throw this.terminated;
    if (!isThenable(value)) return value;
    return new Promise((resolve, reject) => {
      this.onTerminate = reject;
      value.then(resolve, reject);
    });
  }

  /**
   * Terminates the running task for `revoke(terminate=True)` (Celery `Request.terminate` +
   * `_announce_revoked('terminated')`): its `signal` fires, REVOKED (`terminated`) is stored, the
   * message is acked and task_revoked sent (`terminated` true, `signum` the signal name). On a
   * process pool that can (`terminateJob`, prefork/threads) the child running the function gets
   * `signal` and is replaced (billiard `terminate_job`); elsewhere the function only sees its signal
   * and whatever it does afterwards is ignored. Never throws (a bad signal name is logged).
   */
  async revokeTerminate(signal = 'SIGTERM'): Promise<void> {
    await this.revokeNow('terminated', signal);
  }

  /**
   * Discards a revoked request that waits in a process pool's child and has not begun (Celery skips a
   * revoked request when it would run): it is taken out of the child, REVOKED (`revoked`) is stored,
   * the message acked and task_revoked sent (`terminated` false). Never throws.
   * @returns false when it is not waiting in a child (not handed over yet, already begun, or settled).
   */
  async discardRevoked(): Promise<boolean> {
    if (!this.inPool || this.begun || this.terminated) return false;
    await this.revokeNow('revoked', null);
    return true;
  }

  private async revokeNow(reason: 'terminated' | 'revoked', signal: string | null): Promise<void> {
    if (this.terminated) return;
    this.revoked = true;
    const { backend, log } = this.env;
    const err = new WorkerTerminate(`task ${this.fields.name}[${this.id}] ${reason === 'terminated' ? `terminated by revoke (${signal})` : 'revoked'}`);
    this.terminated = err;
    this.onTerminate?.(err);
    this.onTerminate = null;
    this.abort.abort(err);
    const executor = this.env.executor;
    try {
      if (executor && canTerminateJobs(executor)) executor.terminateJob(this.id, signal ?? 'SIGTERM');
    } catch (e) {
      log.error(`could not terminate ${this.id} with ${signal}: ${String(e)}`);
    }
    await this.settle('ack').catch((e: unknown) => log.error(`could not ack ${this.id}: ${String(e)}`));
    if (backend && !this.fields.ignoreResult) {
      await backend.markAsRevoked(this.id, reason, null).catch((e: unknown) => log.error(`could not store REVOKED for ${this.id}: ${String(e)}`));
    }
    await continueOnRevoked({ app: this.env.app, request: this.request }, reason).catch((e: unknown) =>
      log.error(`could not count ${this.id} as a revoked part of chord ${this.fields.group ?? ''}: ${String(e)}`));
    task_revoked.send(this.task, { request: this.request, terminated: reason === 'terminated', signum: signal, expired: false });
  }

  /**
   * Cancels the running task at a soft or cold shutdown (Celery `Request.cancel`): its `signal`
   * fires with {@link WorkerTerminate}, RETRY (`cancelled by Celery`) is stored, task_retry is sent
   * (reason and einfo null, as Celery), and with acks late a message not yet acked is requeued.
   * Whatever the function does afterwards is ignored. Never throws.
   * @returns true when the message went back to the broker.
   */
  async terminate(): Promise<boolean> {
    if (this.terminated) return false;
    const { backend, log } = this.env;
    const err = new WorkerTerminate(`task ${this.fields.name}[${this.id}] cancelled by worker shutdown`);
    this.terminated = err;
    this.onTerminate?.(err);
    this.onTerminate = null;
    this.abort.abort(err);
    const requeue = this.acksLate && !this.message.acknowledged;
    if (requeue) await this.settle('requeue').catch((e: unknown) => log.error(`could not requeue ${this.id}: ${String(e)}`));
    if (backend && !this.fields.ignoreResult) {
      await backend.markAsRetry(this.id, new Retry('cancelled by Celery'), null, this.storeInfo()).catch((e: unknown) => log.error(`could not store RETRY for ${this.id}: ${String(e)}`));
    }
    task_retry.send(this.task, { request: this.request, reason: null, einfo: null });
    return requeue;
  }

  /** Runs the function: in-process, or in a child that calls `onStarted` when it begins it. */
  /**
   * Runs the function: in a child, which reports when it begins it ({@link begin}; a promise), or here —
   * without time limits called at once, returning what it returns (a value, a promise, or it throws).
   */
  private run(): unknown {
    const [hardMsg, softMsg] = this.fields.timeLimit;
    const hard = hardMsg ?? this.task.options.timeLimit ?? this.env.timeLimit ?? this.env.app.conf.task_time_limit;
    const soft = softMsg ?? this.task.options.softTimeLimit ?? this.env.softTimeLimit ?? this.env.app.conf.task_soft_time_limit;
    if (this.env.executor) {
      // A child runs the function and owns both clocks (billiard kills it at the hard limit).
      const { name, args, kwargs } = this.fields;
      this.inPool = true;
      return this.env.executor.invoke({ name, args, kwargs, request: this.request }, { softTimeLimit: soft ?? null, timeLimit: hard ?? null }, () => this.begin());
    }
    const context = this.context();
    if (!soft && !hard) return runWithContext(context, () => this.task.invoke(context, this.fields.args, this.fields.kwargs));
    return this.runWithLimits(context, soft ?? null, hard ?? null);
  }

  /** {@link run} in-process with a soft and/or hard time limit (seconds): the function races its timers. */
  private async runWithLimits(context: TaskContext, soft: number | null, hard: number | null): Promise<unknown> {
    const running = Promise.resolve().then(() => runWithContext(context, () => this.task.invoke(context, this.fields.args, this.fields.kwargs)));
    const timers: NodeJS.Timeout[] = [];
    try {
      const races: Array<Promise<unknown>> = [running];
      if (soft) {
        races.push(new Promise((_, reject) => timers.push(setTimeout(() => {
          const err = new SoftTimeLimitExceeded(`soft time limit (${soft} s) exceeded`);
          this.abort.abort(err);
          // Cooperative tasks see the signal and throw; the race rejects only at the hard limit
          // or, without one, right away, so a task ignoring the signal cannot hold the slot forever.
          if (!hard) reject(err);
        }, soft * 1000))));
      }
      if (hard) {
        races.push(new Promise((_, reject) => timers.push(setTimeout(() => {
          const err = new TimeLimitExceeded(`hard time limit (${hard} s) exceeded`);
          this.abort.abort(err);
          reject(err);
        }, hard * 1000))));
      }
      return races.length === 1 ? await running : await Promise.race(races);
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  private taskContext: RequestContext | null = null;

  /** The context the function runs with (in-process), and the callbacks are sent in; one per request. */
  private context(): TaskContext {
    return (this.taskContext ??= new RequestContext(this, this.abort, this.env));
  }

  private async handleError(err: unknown, storeErrors: boolean, info: BackendRequest): Promise<Exclude<Outcome, 'SUCCESS'>> {
    const { backend, log } = this.env;
    if (this.terminated && err === this.terminated) return this.revoked ? 'REVOKED' : 'RETRY';
    if (!(err instanceof TaskSignal)) {
      const auto = autoretryFor(this.task.options, err, this.fields.retries);
      if (auto) err = this.retrySignal(auto);
    }
    if (err instanceof Retry) {
      const retried = await this.retry(err, storeErrors).catch((e: unknown) => e);
      if (retried === true) return 'RETRY';
      if (retried instanceof HandlerError) throw retried;
      err = retried;
    }
    if (err instanceof Ignore) return 'IGNORED';
    if (err instanceof Reject) {
      log.info(`Task ${this.fields.name}[${this.id}] rejected: ${err.message} (requeue=${err.requeue})`);
      await this.settle(err.requeue ? 'requeue' : 'reject');
      return 'REJECTED';
    }
    const error = err instanceof Error ? err : new Error(String(err));
    const conf = this.env.app.conf;
    const decision = failureSettlement(error, {
      acksLate: this.acksLate,
      rejectOnWorkerLost: this.task.options.rejectOnWorkerLost ?? conf.task_reject_on_worker_lost,
      acksOnFailureOrTimeout: this.task.options.acksOnFailureOrTimeout ?? conf.task_acks_on_failure_or_timeout,
    });
    if (decision.settle !== 'none') await this.settle(decision.settle).catch((e: unknown) => log.error(`could not settle ${this.id}: ${String(e)}`));
    if (!decision.storeFailure) {
      log.warn(`Task ${this.fields.name}[${this.id}] requeued: ${error.name}(${pythonRepr(error.message)})`);
      return 'REJECTED';
    }
    if (backend && storeErrors) {
      await backend.markAsFailure(this.id, error, error.stack ?? null, info).catch((e: unknown) =>
        log.error(`Task ${this.fields.name}[${this.id}] could not store its failure: ${String(e)}`));
    }
    // Canvas: the rest of the chain is marked FAILURE and the errbacks run (Celery mark_as_failure).
    await continueOnFailure({ app: this.env.app, request: this.request }, error, { backend, traceback: error.stack ?? null, storeErrors });
    const einfo = exceptionInfo(error);
    const { args, kwargs } = this.fields;
    // A lost worker process is reported by Celery's Request.on_failure, which calls no handler.
    const handlers = !(error instanceof WorkerLostError);
    if (handlers) await this.hook('onFailure', () => this.task.onFailure(error, this.id, args, kwargs, einfo));
    log.error(`Task ${this.fields.name}[${this.id}] raised unexpected: ${error.name}(${pythonRepr(error.message)})\n${error.stack ?? ''}`);
    task_failure.send(this.task, { taskId: this.id, exception: error, args, kwargs, traceback: error.stack ?? null, einfo });
    if (handlers) await this.hook('afterReturn', () => this.task.afterReturn('FAILURE', error, this.id, args, kwargs, null));
    return 'FAILURE';
  }

  /** The Retry for `options`, or the error to fail with when no retries are left. */
  private retrySignal(options: RetryOptions): unknown {
    try {
      return this.task.retrySignal(this.request, options);
    } catch (err) {
      return err;
    }
  }

  /**
   * Re-sends the task as `signal.sig` says (built by `Task.retrySignal`: same id, retries + 1, same
   * arguments, eta, ids, headers, route) and stores RETRY with the cause; returns true, or throws the
   * error to fail with. A failed send becomes `Reject` without requeue, as in Celery.
   */
  private async retry(signal: Retry, storeErrors: boolean): Promise<true> {
    const { app, backend, log } = this.env;
    const sig = signal.sig ?? this.task.retrySignal(this.request, signal.options).sig!;
    try {
      await app.sendTask(sig.name, sig.args, sig.options, this.task);
    } catch (err) {
      throw new Reject(`could not send the retry: ${String(err)}`, false);
    }
    if (backend && storeErrors) await backend.markAsRetry(this.id, signal.options.exc ?? signal, null, this.recordInfo());
    const reason = signal.options.exc ?? signal;
    const einfo = exceptionInfo(reason instanceof Error ? reason : signal);
    await this.hook('onRetry', () => this.task.onRetry(signal.options.exc ?? null, this.id, this.fields.args, this.fields.kwargs, einfo));
    log.info(`Task ${this.fields.name}[${this.id}] retry: ${signal.message}`);
    task_retry.send(this.task, { request: this.request, reason, einfo });
    return true;
  }

  private settle(how: 'ack' | 'reject' | 'requeue'): Promise<void> {
    if (this.message.acknowledged) return RESOLVED;
    return how === 'ack' ? this.message.ack() : this.message.reject(how === 'requeue');
  }

  private elapsed(): string {
    return ((performance.now() - this.startedAt) / 1000).toFixed(6).replace(/0+$/, '').replace(/\.$/, '.0');
  }
}

/** A request's abort controller, made on first use (most tasks never look at their signal). */
class LazyAbort {
  private controller: AbortController | null = null;

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }
}

/**
 * The context a task runs with in-process (Celery's bound `self`, what `currentTask()` returns): one
 * per request, its methods on the prototype (the canvas ones from @cq/app's `TaskContextBase`).
 */
class RequestContext extends TaskContextBase {
  readonly name: string;
  readonly request: TaskRequest;
  readonly #owner: Request;
  readonly #abort: LazyAbort;
  readonly #env: RequestEnv;

  constructor(owner: Request, abort: LazyAbort, env: RequestEnv) {
    super();
    this.name = owner.fields.name;
    this.request = owner.request;
    this.#owner = owner;
    this.#abort = abort;
    this.#env = env;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  protected get contextTask(): Task {
    return this.#owner.task;
  }

  retry(options: RetryOptions = {}): never {
    throw this.#owner.task.retrySignal(this.request, options);
  }

  async updateState({ state, meta }: { state: string; meta?: unknown }): Promise<void> {
    const { backend, hostname } = this.#env;
    const owner = this.#owner;
    if (backend) await backend.storeResult(owner.id, meta ?? null, state, { request: backendRequest(owner.fields, hostname, owner.message.deliveryInfo.routing_key) });
  }
}

/** True for a promise or any object with a `then` method (what `await` would wait for). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * A task handler (`onSuccess`, `onFailure`, `onRetry`, `afterReturn`) threw: carried out of the
 * trace to {@link Request.internalError}; never leaves this module.
 */
class HandlerError extends Error {
  constructor(readonly handler: TaskHookName, cause: unknown) {
    super(`handler ${handler}() raised`, { cause });
    this.name = 'HandlerError';
  }
}
