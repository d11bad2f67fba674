/** Tasks: a named function plus its options (Celery `celery/app/task.py`); see {@link Task}. */
import type { Backend } from '@cq/backend';
import { dumps, loads, type Queue, type SerializerScope, type TransactionClient } from '@cq/kombu';
import { MaxRetriesExceededError, Retry, TaskArgumentError, type RetryOptions } from './errors.js';
import { applyEagerly, type EagerApplyOptions } from './eager.js';
import type { EagerResult } from './eager-result.js';
import type { Logger } from './logging.js';
import { inferParamNames } from './params.js';
import type { AsyncResult } from './result.js';
import type { ExceptionInfo } from './signals.js';
import { bindTaskContext, type BoundTaskContext, type TaskCanvas, type TaskContext, type TaskRequest } from './context.js';
import type { RouteSpec } from './config.js';
import type { SignatureDict } from './protocol/types.js';
import type { DeduplicationMode } from './deduplication.js';
import { callWithSchemas, checkSchemaOptions, hasSchemas, validateArguments, type SchemaTaskOptions } from './schema.js';

/** An error class, or an error `name` for errors whose class is not at hand (e.g. from another package). */
export type ErrorMatcher = (abstract new (...args: never[]) => unknown) | string;

/**
 * Per-task options. Each falls back to the app setting named in its doc, as in Celery. `schema`,
 * `resultSchema` and `validateOnApply` (Celery 5.5 `pydantic=True`) are in {@link SchemaTaskOptions}.
 */
export interface TaskOptions extends SchemaTaskOptions {
  /** Pass the task context as the first argument (Celery `bind`). Default false. */
  bind?: boolean;
  /** Parameter names for keyword binding; default: read from the function source. */
  params?: string[];
  /** The last parameter receives unmatched keyword arguments (Python `**kwargs`). Default false. */
  acceptsKwargs?: boolean;
  /** Ack after the task returns (`task_acks_late`). */
  acksLate?: boolean;
  /** With acksLate, requeue when the worker process dies (`task_reject_on_worker_lost`). */
  rejectOnWorkerLost?: boolean;
  /** With acksLate, ack a failed or timed-out task; false rejects it without requeue (`task_acks_on_failure_or_timeout`, default true). */
  acksOnFailureOrTimeout?: boolean;
  /**
   * At most this many runs of this task type per worker: `"10/s"`, `"100/m"`, `"1000/h"`, or a number
   * per second; null/0 = no limit (`task_default_rate_limit`, Celery `rate_limit`).
   */
  rateLimit?: string | number | null;
  /** Errors (classes or names) that retry the task automatically (Celery `autoretry_for`). Default none. */
  autoretryFor?: ErrorMatcher[];
  /** Errors never retried automatically, even when matching `autoretryFor` (Celery `dont_autoretry_for`). */
  dontAutoretryFor?: ErrorMatcher[];
  /** Options of automatic retries, e.g. `{ maxRetries: 5, countdown: 10 }` (Celery `retry_kwargs`). */
  retryKwargs?: Omit<RetryOptions, 'exc'>;
  /** Exponential backoff of automatic retries: true = factor 1, a number = factor in seconds (Celery `retry_backoff`). Default false. */
  retryBackoff?: boolean | number;
  /** Longest backoff in seconds (Celery `retry_backoff_max`). Default 600. */
  retryBackoffMax?: number;
  /** Draw each backoff uniformly from 0..countdown (Celery `retry_jitter`). Default true. */
  retryJitter?: boolean;
  /** Store no result (`task_ignore_result`). */
  ignoreResult?: boolean;
  /** Store failures even when ignoring results (`task_store_errors_even_if_ignored`). */
  storeErrorsEvenIfIgnored?: boolean;
  /** Store STARTED when the task begins (`task_track_started`). */
  trackStarted?: boolean;
  /** Hard time limit in seconds (`task_time_limit`). */
  timeLimit?: number;
  /** Soft time limit in seconds (`task_soft_time_limit`). */
  softTimeLimit?: number;
  /** Default 3 (`task_default_max_retries`); null retries forever. */
  maxRetries?: number | null;
  /** Seconds; default 180 (`task_default_retry_delay`). */
  defaultRetryDelay?: number;
  /** Default queue, exchange and routing key of this task's messages. */
  queue?: string;
  exchange?: string;
  routingKey?: string;
  priority?: number;
  /** Serializer name (`task_serializer`). */
  serializer?: string;
  /** Compression method (`task_compression`). */
  compression?: string;
  /** Seconds from sending after which the task is not run (REVOKED). */
  expires?: number;
  /**
   * The class `app.task()` instantiates (Celery `base`): a subclass of {@link Task} whose hooks
   * (`beforeStart`, `onSuccess`, `onFailure`, `onRetry`, `afterReturn`) and fields all calls of the
   * task share. Default the app's task class (`AppOptions.taskCls`, else `Task`).
   */
  base?: TaskClass;
}

/** A task class for `base` / `taskCls`: `Task` or a subclass keeping its constructor. */
export type TaskClass = new (app: TaskApp, name: string, fn: (...args: never[]) => unknown, options?: TaskOptions) => Task;

/** The handler names of a task (Celery `before_start`, `on_success`, ...), as `task_annotations` may set them. */
export const TASK_HOOKS = ['beforeStart', 'onSuccess', 'onFailure', 'onRetry', 'afterReturn'] as const;
export type TaskHookName = (typeof TASK_HOOKS)[number];

/** Options of one call (Celery `apply_async` keyword arguments). */
export interface ApplyOptions {
  /** Keyword arguments, bound by parameter name on the worker. */
  kwargs?: Record<string, unknown>;
  /** Run no earlier than this many **seconds** from now. */
  countdown?: number;
  /** Run no earlier than this time. */
  eta?: Date | string;
  /** Seconds from now, or an absolute time, after which the task is revoked instead of run. */
  expires?: number | Date | string;
  /**
   * A queue name (looked up in `task_queues`, else created), or a kombu `Queue` used as it is, e.g.
   * `workerDirect('w1@host')` (Celery `queue=worker_direct(...)`): its exchange and routing key.
   */
  queue?: string | Queue;
  exchange?: string;
  routingKey?: string;
  /** 0..255 on AMQP, 0..9 on Redis (0 highest there), higher first on SQLite. */
  priority?: number;
  /** Extra message headers, sent beside Celery's. */
  headers?: Record<string, unknown>;
  /** Use this id instead of a new uuid4. */
  taskId?: string;
  ignoreResult?: boolean;
  serializer?: string;
  compression?: string | null;
  /** Hard time limit in seconds for this call. */
  timeLimit?: number;
  /** Soft time limit in seconds for this call. */
  softTimeLimit?: number;
  /** Display name in logs and events (`shadow`). */
  shadow?: string;
  /** Set by the worker when a task sends subtasks; rarely set by hand. */
  parentId?: string;
  rootId?: string;
  retries?: number;
  replyTo?: string;
  /** Group id and position of a group member (Celery `group_id`, `group_index`). */
  groupId?: string | null;
  groupIndex?: number | null;
  /** Signatures applied on success / failure (Celery `link`, `link_error`). */
  link?: SignatureDict[] | null;
  linkError?: SignatureDict[] | null;
  /** Rest of a chain, reversed (next task last), and a chord body (canvas internals, kept on retries). */
  chain?: SignatureDict[] | null;
  chord?: SignatureDict | null;
  /** `replaced_task_nesting` header (Task.replace depth). */
  replacedTaskNesting?: number;
  /**
   * Record the result among the running task's children (stored with its result, read back by
   * `AsyncResult.children()`), as Celery's `add_to_parent`. Default true; only matters inside a task.
   */
  addToParent?: boolean;
  /**
   * cq, beyond Celery (as Graphile Worker and pg-boss): the caller's database client with a
   * transaction open on it (`pg`'s `Client` or `PoolClient` after `BEGIN`). The task message is
   * written through it, so it commits or rolls back with the caller's own writes, and workers are
   * woken only on commit. Needs the `postgresql://` broker (@cq/transport-postgres); any other broker
   * rejects with `TransactionUnsupportedError` before anything is sent (use an outbox there:
   * @cq/transport-postgres `relayOutbox`). Never part of a signature's options (not serializable).
   */
  transaction?: TransactionClient;
  /**
   * cq, beyond Celery (BullMQ's `deduplication.id`, Celery users' celery-once): while a task of this
   * name sent with the same id is pending (or, with `deduplicationTtl`, within its window), nothing is
   * sent and the call resolves to that task's AsyncResult, same task id. Needs a broker or result
   * backend that keeps deduplication keys (Redis, SQLite, PostgreSQL brokers; the Redis result backend;
   * memory), else rejects with `DeduplicationUnsupportedError` before anything is sent. Ignored by
   * eager runs. See `deduplication.ts` for the modes, where keys live and what a crash leaves.
   */
  deduplicationId?: string;
  /** Seconds: the throttle window, or the debounce quiet period (and countdown). Default none: simple mode. */
  deduplicationTtl?: number;
  /**
   * `'simple'` (until the task is ready; the default without `deduplicationTtl`), `'throttle'` (for
   * `deduplicationTtl` seconds; the default with it) or `'debounce'` (the last call's arguments run
   * `deduplicationTtl` seconds after the last call, under the first call's task id; needs cq workers).
   */
  deduplicationMode?: DeduplicationMode;
}

/** The function shapes `app.task()` accepts. */
export type TaskFunction<Args extends unknown[], R> = (...args: Args) => R | PromiseLike<R>;
export type BoundTaskFunction<Args extends unknown[], R> = (context: BoundTaskContext, ...args: Args) => R | PromiseLike<R>;

/** What a Task needs from its app; keeps task.ts free of the app's module. */
export interface TaskApp {
  /**
   * Settings read by retries (`task_default_max_retries`, `task_default_retry_delay`) and by eager
   * runs (`task_always_eager`, `task_eager_propagates`, `task_store_eager_result`, ...).
   */
  readonly conf?: {
    task_default_max_retries: number; task_default_retry_delay: number;
    task_always_eager?: boolean; task_eager_propagates?: boolean; task_store_eager_result?: boolean;
    task_serializer?: string; task_ignore_result?: boolean; task_store_errors_even_if_ignored?: boolean;
  };
  /** The result backend (eager runs store through it with `task_store_eager_result`, `updateState`). */
  backend?(): Promise<Backend | null>;
  /** Where eager runs log, as the worker does. */
  readonly log?: Logger;
  /** The app's serializers (eager runs round-trip arguments through `task_serializer`). */
  readonly serializers?: SerializerScope;
  sendTask<R = unknown>(name: string, args?: unknown[] | null, options?: ApplyOptions, task?: Task): Promise<AsyncResult<R>>;
  asyncResult<R = unknown>(id: string): AsyncResult<R>;
  /** The canvas behind `ctx.replace()` / `ctx.addToChord()`; null without the canvas plugin. */
  readonly canvas?: TaskCanvas | null;
  /** What runs around each call of a task function (see {@link InvokeWrapper}); plugins add to it. */
  readonly invokeWrappers?: readonly InvokeWrapper[];
}

/**
 * Runs around one call of a task function, wherever it runs (an in-process worker pool, a pool
 * child, an eager call): it must call `run` once and return what `run` returns (a value or a
 * promise), e.g. inside a tracing context. Added by plugins to `app.invokeWrappers`; what it throws
 * fails the task as the function would.
 */
export type InvokeWrapper = (task: Task, context: TaskContext, run: () => unknown) => unknown;

/** Calls `run` inside `wrappers`, the first outermost. */
function wrapInvoke(wrappers: readonly InvokeWrapper[], task: Task, context: TaskContext, run: () => unknown): unknown {
  let call = run;
  for (let i = wrappers.length - 1; i >= 0; i -= 1) {
    const wrapper = wrappers[i]!;
    const inner = call;
    call = () => wrapper(task, context, inner);
  }
  return call();
}

/**
 * A task: a named function plus its options (Celery `celery.app.task.Task`, `celery/app/task.py`).
 * `app.task()` creates them; `Task<Args, Result>` keeps the function's argument and result types for
 * `delay` and `applyAsync`.
 *
 * How arguments reach the function:
 * - positional `args` are passed in order;
 * - keyword `kwargs` (what Python callers send with `apply_async(kwargs=...)`) bind to parameters by
 *   name, as Python binds them; names are read from the function's source or given in `params`;
 * - with `acceptsKwargs: true`, the function's last parameter receives the keyword arguments that
 *   matched no name (Python's `**kwargs`); otherwise such a keyword fails the task with `TypeError`;
 * - with `bind: true`, the function receives the {@link TaskContext} first (Celery's `bind=True`), and
 *   `currentTask()` gives the same context anywhere inside the task.
 *
 * ```ts
 * const add = app.task('proj.add', (x: number, y: number) => x + y);   // Task<[number, number], number>
 * const result = await add.delay(2, 3);                                 // AsyncResult<number>
 * await add.applyAsync([2, 3], { countdown: 10, queue: 'math' });       // countdown in seconds
 * ```
 *
 * `Args` and `R` are the function's parameter tuple and (awaited) result: `delay` and `applyAsync`
 * accept exactly `Args` and resolve, once the broker has the message, to `AsyncResult<R>`. Options
 * ({@link TaskOptions}, Celery's task attributes) fall back to the app setting named in each field's
 * doc: `acksLate` (`task_acks_late`), `rateLimit`, `timeLimit` / `softTimeLimit` in **seconds**,
 * `maxRetries` (`task_default_max_retries`, 3) and `defaultRetryDelay` in **seconds**
 * (`task_default_retry_delay`, 180), `ignoreResult`, routing (`queue`, `routingKey`, ...).
 *
 * Errors: a keyword argument that binds to no parameter, or one given twice, fails the task with
 * `TaskArgumentError` (Python's `TypeError`); arguments (or a result) that the task's `schema`
 * (`resultSchema`) refuses fail it with `TaskValidationError` (stored as `ValidationError`);
 * `retrySignal` (behind `ctx.retry()`) returns the `Retry` control-flow signal, and past `maxRetries` throws the given `exc` or else
 * `MaxRetriesExceededError`. Sending rejects with the broker's kombu `TransportError` or the
 * serializer's `EncodeError`.
 */
export class Task<Args extends unknown[] = unknown[], R = unknown> {
  readonly paramNames: readonly string[];
  /**
   * The effective options: those given to `app.task()` with `task_annotations` laid over them, as
   * Celery's annotations override the decorator's (see `annotations.ts`).
   */
  readonly options: TaskOptions;

  constructor(
    readonly app: TaskApp,
    readonly name: string,
    readonly fn: (...args: never[]) => unknown,
    options: TaskOptions = {},
  ) {
    this.options = { ...options };
    checkSchemaOptions(name, this.options);
    const inferred = options.params ?? inferParamNames(fn);
    const skipFirst = options.bind && !options.params ? 1 : 0;
    const names = inferred.slice(skipFirst);
    this.paramNames = options.acceptsKwargs && !options.params ? names.slice(0, -1) : names;
  }

  /**
   * Sends the task with positional arguments (Celery `delay`). Resolves once the broker has it; with
   * `task_always_eager`, runs it here instead (see {@link applyAsync}).
   */
  delay(...args: Args): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }

  /**
   * Sends the task with options (Celery `apply_async`). Resolves once the broker has it. With
   * `task_always_eager` nothing is sent: the arguments go through the task's serializer and back (so
   * what a worker could not receive fails here too), then {@link apply} runs it and its
   * {@link EagerResult} is returned.
   * @throws EncodeError/DecodeError (eager: arguments the serializer cannot carry);
   *   TaskValidationError with `validateOnApply` (nothing is sent).
   */
  async applyAsync(args?: Args | null, options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const conf = this.app.conf;
    // `validateOnApply` (schema.ts): refuse bad arguments here; eager runs validate in invoke().
    if (this.options.validateOnApply && !conf?.task_always_eager) await validateArguments(this, this.bindArguments(args ?? [], options.kwargs ?? {}));
    if (!conf?.task_always_eager) return this.app.sendTask<R>(this.name, args ?? [], options, this);
    const serializer = options.serializer ?? this.options.serializer ?? conf.task_serializer ?? 'json';
    const scope = this.app.serializers;
    const encoded = dumps([args ?? [], options.kwargs ?? {}], serializer, scope);
    const [a, kw] = loads(encoded.body, encoded.contentType, encoded.contentEncoding, [encoded.contentType], scope) as [unknown[], Record<string, unknown>];
    return this.apply(a as Args, { ...options, kwargs: kw });
  }

  /**
   * Runs the task here and now, awaiting it, as a worker would but without a broker (Celery
   * `Task.apply`): the same hooks and signals in the same order, retries run at once (no countdown)
   * with `retries + 1`, no time limits. `options.throw` (default `task_eager_propagates`, false)
   * makes a failure (or a Retry) reject this call instead of being returned in the result. Results
   * are stored only with `task_store_eager_result`. Link callbacks and chains are not applied.
   * @returns an {@link EagerResult}: `get()`, `status`, `ready()`, `successful()`, `failed()`, `traceback()`.
   * @throws the task's error with `throw`; what a handler (`onSuccess`, ...) throws, always (Celery
   *   re-raises errors outside the task body in eager mode).
   */
  apply(args?: Args | null, options: EagerApplyOptions = {}): Promise<EagerResult<R>> {
    return applyEagerly<R>(this, args ?? [], options);
  }

  /**
   * Called before the task runs, where it runs (Celery `before_start`, 5.2): on a `prefork`/`threads`
   * pool in the child, elsewhere in the worker. What it throws fails the task, as the task would.
   * Override in a subclass given as `base`; the return value is ignored (a promise is awaited).
   */
  beforeStart(_taskId: string, _args: unknown[], _kwargs: Record<string, unknown>): void | Promise<void> {}

  /**
   * Called after a success is stored, before `task_success` (Celery `on_success`). Hooks other than
   * `beforeStart` run in the worker's main process; what they throw is an internal error: it is
   * logged and the task fails with that error (`onFailure`, `task_failure`; FAILURE stored unless a
   * SUCCESS is already there), as Celery's `trace.py` (see the README).
   */
  onSuccess(_retval: R, _taskId: string, _args: unknown[], _kwargs: Record<string, unknown>): void | Promise<void> {}

  /** Called after a failure is stored (and errbacks ran), before `task_failure` (Celery `on_failure`). */
  onFailure(_exc: Error, _taskId: string, _args: unknown[], _kwargs: Record<string, unknown>, _einfo: ExceptionInfo): void | Promise<void> {}

  /** Called after a retry was sent and RETRY stored, before `task_retry` (Celery `on_retry`); `exc` is the retry's `exc`. */
  onRetry(_exc: unknown, _taskId: string, _args: unknown[], _kwargs: Record<string, unknown>, _einfo: ExceptionInfo): void | Promise<void> {}

  /**
   * Called after SUCCESS or FAILURE (not RETRY, IGNORED, REJECTED), before `task_postrun` (Celery
   * `after_return`): `retval` is the value or the error; `einfo` is null, as Celery's tracer passes.
   */
  afterReturn(_status: string, _retval: unknown, _taskId: string, _args: unknown[], _kwargs: Record<string, unknown>, _einfo: ExceptionInfo | null): void | Promise<void> {}

  /** A handle on an earlier call's result by id. */
  asyncResult(id: string): AsyncResult<R> {
    return this.app.asyncResult<R>(id);
  }

  /** The route options the task itself carries. */
  route(): RouteSpec {
    const r: RouteSpec = {};
    if (this.options.queue !== undefined) r.queue = this.options.queue;
    if (this.options.exchange !== undefined) r.exchange = this.options.exchange;
    if (this.options.routingKey !== undefined) r.routing_key = this.options.routingKey;
    if (this.options.priority !== undefined) r.priority = this.options.priority;
    return r;
  }

  /**
   * The apply options that re-send `request` as it was received (Celery `signature_from_request` +
   * `Context.as_execution_options`): same id, root and parent ids (a top-level task becomes its own
   * parent, as Celery's `send_task` does from inside a task), group, canvas, expires, time limits,
   * reply_to, custom headers, and the route it came by (the default exchange's routing key as the
   * queue, else the exchange and routing key) with its priority. `overrides` win.
   */
  signatureFromRequest(request: TaskRequest, overrides: ApplyOptions = {}): ApplyOptions {
    const info = request.deliveryInfo;
    const [hard, soft] = request.timeLimit;
    const expires = typeof request.headers['expires'] === 'string' ? request.headers['expires'] : request.expires ?? undefined;
    const route: ApplyOptions = info.exchange === '' && info.routing_key
      ? { queue: info.routing_key }
      : { exchange: info.exchange, routingKey: info.routing_key };
    return {
      taskId: request.id,
      rootId: request.rootId || request.id,
      parentId: request.parentId || request.id,
      groupId: request.group,
      groupIndex: request.groupIndex,
      ...(request.headers['shadow'] ? { shadow: request.headers['shadow'] as string } : {}),
      chord: request.embed.chord,
      chain: request.embed.chain,
      link: request.embed.callbacks,
      linkError: request.embed.errbacks,
      ...(expires === undefined ? {} : { expires }),
      ...(hard == null ? {} : { timeLimit: hard }),
      ...(soft == null ? {} : { softTimeLimit: soft }),
      headers: customHeaders(request.headers),
      retries: request.retries,
      ...(request.replyTo ? { replyTo: request.replyTo } : {}),
      ...(typeof request.headers['replaced_task_nesting'] === 'number' ? { replacedTaskNesting: request.headers['replaced_task_nesting'] } : {}),
      ...(info.priority == null ? {} : { priority: info.priority }),
      ...route,
      ...overrides,
    };
  }

  /**
   * The Retry signal for `ctx.retry(options)` (Celery `Task.retry`): throws `options.exc`, or
   * {@link MaxRetriesExceededError}, when `request.retries` already reached the limit (`maxRetries`
   * of the call, else of the task, else `task_default_max_retries`; null = no limit). Otherwise
   * returns a Retry whose `sig` re-sends the request with `retries + 1` and an eta from `eta`, else
   * `countdown`, else `defaultRetryDelay` (`task_default_retry_delay`, 180 s).
   */
  retrySignal(request: TaskRequest, options: RetryOptions = {}): Retry {
    const conf = this.app.conf;
    const max = options.maxRetries !== undefined ? options.maxRetries
      : this.options.maxRetries !== undefined ? this.options.maxRetries : conf?.task_default_max_retries ?? 3;
    const countdown = options.countdown ?? (options.eta ? undefined : this.options.defaultRetryDelay ?? conf?.task_default_retry_delay ?? 180);
    const args = options.args ?? request.args;
    const kwargs = options.kwargs ?? request.kwargs;
    const retries = request.retries + 1;
    if (max !== null && retries > max) {
      // Celery re-raises `exc` as given: whatever value the task caught, Error or not.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (options.exc !== undefined && options.exc !== null) throw options.exc;
      throw new MaxRetriesExceededError(`Can't retry ${this.name}[${request.id}] args:${JSON.stringify(args)} kwargs:${JSON.stringify(kwargs)}`, args, kwargs);
    }
    const when = countdown ?? options.eta;
    // Celery's Retry.humanize: "in <n>s" for a countdown, "at <eta>" for an eta.
    const signal = new Retry(`Retry ${typeof when === 'number' ? `in ${when}s` : `at ${when instanceof Date ? when.toISOString() : String(when)}`}`, options);
    signal.sig = {
      name: this.name,
      args,
      options: this.signatureFromRequest(request, {
        kwargs, retries,
        ...(countdown === undefined ? {} : { countdown }),
        ...(options.eta === undefined || countdown !== undefined ? {} : { eta: options.eta }),
        ...(options.options as ApplyOptions | undefined),
      }) as Record<string, unknown>,
    };
    return signal;
  }

  /**
   * Binds positional and keyword arguments to the function's parameters, as Python does.
   * Throws {@link TaskArgumentError} (stored as Python `TypeError`) for a keyword given twice or unknown.
   */
  bindArguments(args: readonly unknown[], kwargs: Record<string, unknown>): unknown[] {
    const out = [...args];
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(kwargs)) {
      const index = this.paramNames.indexOf(key);
      if (index < 0) {
        rest[key] = value;
        continue;
      }
      if (index < args.length) throw new TaskArgumentError(`${this.name}() got multiple values for argument '${key}'`);
      while (out.length < index) out.push(undefined);
      out[index] = value;
    }
    if (this.options.acceptsKwargs) {
      while (out.length < this.paramNames.length) out.push(undefined);
      out.push(rest);
    } else {
      const unknown = Object.keys(rest);
      if (unknown.length > 0) throw new TaskArgumentError(`${this.name}() got an unexpected keyword argument '${unknown[0]}'`);
    }
    return out;
  }

  /**
   * Calls the function with bound arguments; the worker's tracer uses it. `context` gains the canvas
   * methods (`replace`, `addToChord`, see `bindTaskContext`) before the function runs. With a
   * `schema` the function receives the validated arguments, with a `resultSchema` the validated
   * result is returned (a promise when a validator or the function is async); a refusal throws
   * `TaskValidationError` (see schema.ts).
   * The app's `invokeWrappers` (tracing plugins) run around the call, the first outermost.
   */
  invoke(context: TaskContext, args: readonly unknown[], kwargs: Record<string, unknown>): unknown {
    const wrappers = this.app.invokeWrappers;
    if (!wrappers || wrappers.length === 0) return this.callFunction(context, args, kwargs);
    return wrapInvoke(wrappers, this, context, () => this.callFunction(context, args, kwargs));
  }

  /** {@link invoke} without the app's wrappers: `beforeStart`, then the function. */
  private callFunction(context: TaskContext, args: readonly unknown[], kwargs: Record<string, unknown>): unknown {
    const call = (): unknown => {
      const bound = this.bindArguments(args, kwargs);
      const ctx = bindTaskContext(this, context);
      const fn = this.fn as (...a: unknown[]) => unknown;
      const run = (a: unknown[]): unknown => (this.options.bind ? fn(ctx, ...a) : fn(...a));
      // `schema` / `resultSchema` (schema.ts): the function gets the schemas' outputs, its result is validated.
      return hasSchemas(this.options) ? callWithSchemas(this, bound, run) : run(bound);
    };
    // Celery calls before_start inside the traced block, right before the function.
    if (!taskHasCustom(this, 'beforeStart')) return call();
    const before = this.beforeStart(context.request.id, [...args], kwargs);
    return before instanceof Promise ? before.then(call) : call();
  }
}

/**
 * True when `task` has its own handler `hook` (a subclass method or one set by `task_annotations`),
 * not Task's no-op (Celery `task_has_custom`): the worker skips the call otherwise.
 */
export function taskHasCustom(task: Task<never, unknown> | Task, hook: TaskHookName): boolean {
  return (task as unknown as Record<string, unknown>)[hook] !== (Task.prototype as unknown as Record<string, unknown>)[hook];
}

/** Protocol headers Celery writes itself; the rest are a caller's custom headers, kept on retries. */
const PROTOCOL_HEADERS = new Set([
  'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries', 'timelimit', 'root_id',
  'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result', 'replaced_task_nesting', 'stamped_headers', 'stamps',
]);

function customHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) if (!PROTOCOL_HEADERS.has(key)) out[key] = value;
  return out;
}
