/**
 * Errors raised by @cq/app. Each has a stable `code` and keeps `cause`. Control-flow signals a task
 * throws on purpose (Retry, Ignore, Reject) are kept apart from real failures, as in Celery.
 *
 * ```
 * CeleryError                          CQ_APP
 * ├── ImproperlyConfigured             CQ_APP_IMPROPERLY_CONFIGURED   bad setting (names the fix)
 * ├── NotRegistered                    CQ_APP_NOT_REGISTERED          unknown task name
 * ├── TimeoutError                     CQ_APP_TIMEOUT                 AsyncResult.get() timed out
 * ├── IncompleteStream                 CQ_APP_INCOMPLETE_STREAM       AsyncResult.collect() met a node not ready
 * ├── TaskArgumentError                CQ_APP_TASK_ARGUMENTS          kwargs that do not bind (Python's TypeError)
 * ├── TaskValidationError              CQ_APP_VALIDATION_ERROR        arguments or result refused by the task's schema
 * ├── TaskRevokedError                 CQ_APP_TASK_REVOKED            the task was revoked or expired
 * ├── MaxRetriesExceededError          CQ_APP_MAX_RETRIES_EXCEEDED    retry() called with no retries left
 * ├── QueueNotFound                    CQ_APP_QUEUE_NOT_FOUND         route to a queue missing from task_queues
 * ├── ProtocolError                    CQ_PROTOCOL                    task message encode/decode
 * │   ├── InvalidTaskError             CQ_PROTOCOL_INVALID_TASK       received message is not a runnable task
 * │   └── InvalidTaskOptionsError      CQ_PROTOCOL_INVALID_OPTIONS    buildTaskMessage got bad options
 * ├── SoftTimeLimitExceeded            CQ_APP_SOFT_TIME_LIMIT         raised inside a task at its soft limit
 * ├── TimeLimitExceeded                CQ_APP_TIME_LIMIT              the task was stopped at its hard limit
 * ├── CanvasUnavailableError           CQ_APP_CANVAS_UNAVAILABLE      ctx.replace()/addToChord() without the canvas plugin
 * ├── NotInChordError                  CQ_APP_NOT_IN_CHORD            ctx.addToChord() outside a chord header (Python's ValueError)
 * ├── AddToChordUnsupportedError       CQ_APP_ADD_TO_CHORD_UNSUPPORTED  the result backend cannot grow chords (NotImplementedError)
 * ├── TransactionUnsupportedError      CQ_APP_TRANSACTION_UNSUPPORTED   `transaction` given, the broker cannot enqueue in it
 * ├── DeduplicationUnsupportedError    CQ_APP_DEDUPLICATION_UNSUPPORTED neither broker nor result backend keeps deduplication records
 * ├── DeduplicationOptionsError        CQ_APP_DEDUPLICATION_OPTIONS     `deduplicationId`/`Ttl`/`Mode` that do not fit together
 * └── TaskSignal                       (control flow, not failures)
 *     ├── Retry                        CQ_APP_RETRY
 *     ├── Ignore                       CQ_APP_IGNORE
 *     └── Reject                       CQ_APP_REJECT
 * ```
 * The names stored in results (`exc_type`) are Celery's, with `exc_module` `celery.exceptions`, so a
 * Python client sees the class it knows.
 */

export class CeleryError extends Error {
  readonly code: string = 'CQ_APP';
  /** Python module name used when this error is stored as a result (`exc_module`). */
  static readonly pythonModule: string | null = 'celery.exceptions';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  /** The `exc_module` a result backend stores for this error. */
  get module(): string | null {
    return (this.constructor as typeof CeleryError).pythonModule;
  }
}

export class ImproperlyConfigured extends CeleryError {
  override readonly code = 'CQ_APP_IMPROPERLY_CONFIGURED';
}

/** A message named a task this worker does not know (Celery `NotRegistered`). */
export class NotRegistered extends CeleryError {
  override readonly code = 'CQ_APP_NOT_REGISTERED';
  constructor(readonly taskName: string, options: { cause?: unknown } = {}) {
    super(taskName, options);
  }
}

/** `AsyncResult.get()` gave up waiting (Celery `celery.exceptions.TimeoutError`). */
export class TimeoutError extends CeleryError {
  override readonly code = 'CQ_APP_TIMEOUT';
}

/** `AsyncResult.collect()` reached a result that is not ready (Celery `IncompleteStream`). */
export class IncompleteStream extends CeleryError {
  override readonly code = 'CQ_APP_INCOMPLETE_STREAM';
}

/** Keyword arguments that do not bind to the task's parameters (Python raises `TypeError`). */
export class TaskArgumentError extends CeleryError {
  override readonly code = 'CQ_APP_TASK_ARGUMENTS';
  static override readonly pythonModule = 'builtins';
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

/** One problem a schema found: where (`path`, starting at the parameter's name or `return`) and what. */
export interface ValidationIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * A task's `schema` refused its arguments, or its `resultSchema` its return value (Celery 5.5's
 * `pydantic=True` fails with pydantic's `ValidationError`). Stored under the name `ValidationError`
 * with `exc_module` null, its one argument the message, so a Python client rebuilds a
 * `ValidationError` whose `str(exc)` lists the issues as pydantic does:
 * `2 validation errors for proj.signup\nuser.email\n  Invalid email address\n...`.
 * `issues` keeps them as data; the task is not retried unless `autoretryFor` matches it.
 */
export class TaskValidationError extends CeleryError {
  override readonly code = 'CQ_APP_VALIDATION_ERROR';
  static override readonly pythonModule = null;
  constructor(readonly taskName: string, readonly issues: readonly ValidationIssue[], options: { cause?: unknown } = {}) {
    super(validationMessage(taskName, issues), options);
    this.name = 'ValidationError';
  }
}

/** pydantic's layout: a count line, then each issue's dotted path and its message indented. */
function validationMessage(taskName: string, issues: readonly ValidationIssue[]): string {
  const head = `${issues.length} validation error${issues.length === 1 ? '' : 's'} for ${taskName}`;
  return [head, ...issues.map((i) => `${i.path.join('.') || '(root)'}\n  ${i.message}`)].join('\n');
}

export class TaskRevokedError extends CeleryError {
  override readonly code = 'CQ_APP_TASK_REVOKED';
}

/**
 * `retry()` was called with no retries left and no `exc` to raise instead (Celery
 * `MaxRetriesExceededError`); stored as FAILURE with that name. `taskArgs`/`taskKwargs` are the
 * arguments the retry would have been sent with.
 */
export class MaxRetriesExceededError extends CeleryError {
  override readonly code = 'CQ_APP_MAX_RETRIES_EXCEEDED';
  constructor(message: string, readonly taskArgs: unknown[] = [], readonly taskKwargs: Record<string, unknown> = {}, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/**
 * A route names a queue that is not in `task_queues` while `task_create_missing_queues` is false
 * (Celery `QueueNotFound`); thrown when sending, before anything is published.
 */
export class QueueNotFound extends CeleryError {
  override readonly code = 'CQ_APP_QUEUE_NOT_FOUND';
}

/** Base of the task-message protocol errors (encode/decode of protocol v1/v2). */
export class ProtocolError extends CeleryError {
  override readonly code: string = 'CQ_PROTOCOL';
}

export type ProtocolErrorOptions = { cause?: unknown };

/**
 * A received message cannot be turned into a task request: the body is neither protocol v2
 * (`[args, kwargs, embed]`), the hybrid form nor a v1 dict; args/kwargs have the wrong type; or
 * `eta`/`expires` is not a valid date. Mirrors `celery.exceptions.InvalidTaskError`; a worker
 * rejects such a message without requeue.
 */
export class InvalidTaskError extends ProtocolError {
  override readonly code = 'CQ_PROTOCOL_INVALID_TASK';
}

/**
 * `buildTaskMessage` was given options Celery would refuse: args not an array, kwargs not a plain
 * object, a non-finite or out-of-range countdown/expires, an unparseable eta/expires date.
 */
export class InvalidTaskOptionsError extends ProtocolError {
  override readonly code = 'CQ_PROTOCOL_INVALID_OPTIONS';
}

export class SoftTimeLimitExceeded extends CeleryError {
  override readonly code = 'CQ_APP_SOFT_TIME_LIMIT';
}

export class TimeLimitExceeded extends CeleryError {
  override readonly code = 'CQ_APP_TIME_LIMIT';
}

/**
 * `ctx.replace()` or `ctx.addToChord()` was called in a task of an app without the canvas plugin of
 * @cq/canvas (`canvas()`), which implements them. The message names the plugin to pass.
 */
export class CanvasUnavailableError extends CeleryError {
  override readonly code = 'CQ_APP_CANVAS_UNAVAILABLE';
  static override readonly pythonModule = null;
}

/**
 * `ctx.addToChord()` was called by a task that is not a chord header part (Celery raises
 * `ValueError('Current task is not member of any chord')`); stored as Python's `ValueError`.
 */
export class NotInChordError extends CeleryError {
  override readonly code = 'CQ_APP_NOT_IN_CHORD';
  static override readonly pythonModule = 'builtins';
  constructor(message = 'Current task is not member of any chord', options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ValueError';
  }
}

/**
 * `ctx.addToChord()` with a result backend that cannot grow a chord while it runs: only Redis can
 * (Celery's base backend raises `NotImplementedError('Backend does not support add_to_chord')`);
 * stored as Python's `NotImplementedError`.
 */
export class AddToChordUnsupportedError extends CeleryError {
  override readonly code = 'CQ_APP_ADD_TO_CHORD_UNSUPPORTED';
  static override readonly pythonModule = 'builtins';
  constructor(message = 'Backend does not support add_to_chord', options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NotImplementedError';
  }
}

/**
 * `applyAsync(…, { transaction })` / `sendTask(…, { transaction })` on a broker whose transport cannot
 * write through the caller's database client (everything but PostgreSQL): nothing was sent. The
 * message names the fix (the `postgresql://` broker, or an outbox relayed to the broker).
 */
export class TransactionUnsupportedError extends CeleryError {
  override readonly code = 'CQ_APP_TRANSACTION_UNSUPPORTED';
}

/**
 * `applyAsync(…, { deduplicationId })` with neither a broker nor a result backend that keeps
 * deduplication records (`deduplication.ts`): nothing was sent. The message names the fix.
 */
export class DeduplicationUnsupportedError extends CeleryError {
  override readonly code = 'CQ_APP_DEDUPLICATION_UNSUPPORTED';
}

/** Deduplication options that do not fit together (a mode without its TTL, debounce with a countdown, ...): nothing was sent. */
export class DeduplicationOptionsError extends CeleryError {
  override readonly code = 'CQ_APP_DEDUPLICATION_OPTIONS';
}

/** Base of the control-flow signals; a worker never stores these as FAILURE. */
export class TaskSignal extends CeleryError {}

/** Options of `ctx.retry()` (Celery `Task.retry(args, kwargs, exc, eta, countdown, max_retries, **options)`). */
export interface RetryOptions {
  /** Seconds until the retry runs. Default: the task's `defaultRetryDelay` (180 s) unless `eta` is given. */
  countdown?: number;
  eta?: Date | string;
  /** The error that caused the retry; stored with RETRY, and thrown instead of MaxRetriesExceededError when retries run out. */
  exc?: unknown;
  /** Overrides the task's `maxRetries` for this call; null = retry forever. */
  maxRetries?: number | null;
  /** Positional arguments of the retry. Default: the request's. */
  args?: unknown[];
  /** Keyword arguments of the retry. Default: the request's. */
  kwargs?: Record<string, unknown>;
  /** Other apply options of the re-sent message (`queue`, `priority`, `headers`, `timeLimit`...), Celery's `**options`. */
  options?: Record<string, unknown>;
}

/** What a retry re-sends: the task name, arguments and apply options (Celery `Retry.sig`). */
export interface RetrySignature {
  name: string;
  args: unknown[];
  options: Record<string, unknown>;
}

/** Thrown by `task.retry()` (Celery `Retry`). `sig` is the message to re-send, set by the task context. */
export class Retry extends TaskSignal {
  override readonly code = 'CQ_APP_RETRY';
  sig: RetrySignature | null = null;
  constructor(message: string, readonly options: RetryOptions = {}) {
    super(message, { cause: options.exc });
  }
}

/** Thrown to end a task with no result stored (Celery `Ignore`). */
export class Ignore extends TaskSignal {
  override readonly code = 'CQ_APP_IGNORE';
}

/** Thrown to reject the message, requeued or not (Celery `Reject`). */
export class Reject extends TaskSignal {
  override readonly code = 'CQ_APP_REJECT';
  constructor(reason = 'rejected', readonly requeue = false) {
    super(reason);
  }
}
