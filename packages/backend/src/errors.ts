/**
 * Errors raised by @cq/backend and the backend packages built on it. Every class has a stable `code`
 * and keeps the original `cause`.
 *
 * ```
 * BackendError                        CQ_BACKEND
 * ├── BackendConfigurationError       CQ_BACKEND_CONFIGURATION        bad URL or option (names the fix)
 * │   ├── UnknownBackendError         CQ_BACKEND_UNKNOWN              URL scheme has no alias (names the closest)
 * │   └── BackendNotInstalledError    CQ_BACKEND_NOT_INSTALLED        the alias's package is missing (`pnpm add …`)
 * ├── BackendStoreError               CQ_BACKEND_STORE                writing a result failed (Celery BackendStoreError)
 * ├── BackendGetMetaError             CQ_BACKEND_GET_META             reading a result failed (Celery BackendGetMetaError)
 * │   └── PickleError                 CQ_BACKEND_PICKLE               a stored pickle is not plain data (database backends)
 * │       ├── UnsafePickleError       CQ_BACKEND_PICKLE_UNSAFE        an opcode the safe reader refuses (GLOBAL, REDUCE, …); nothing ran
 * │       └── PickleFormatError       CQ_BACKEND_PICKLE_FORMAT        truncated or malformed, or past a reader limit
 * ├── BackendClosedError              CQ_BACKEND_CLOSED               the backend was used after close()
 * ├── InvalidExceptionInfoError       CQ_BACKEND_INVALID_EXCEPTION_INFO  a stored exception dict has no exc_type
 * ├── TimeoutError                    CQ_BACKEND_TIMEOUT              waitFor gave up (celery.exceptions.TimeoutError)
 * └── WaitAbortedError                CQ_BACKEND_ABORTED              waitFor's AbortSignal fired
 *
 * RemoteTaskError (extends Error)     CQ_BACKEND_REMOTE_TASK_ERROR    a task's stored failure; see exceptions.ts.
 *                                                                     Not a backend fault, so kept out of this tree.
 * ```
 */

export interface BackendErrorOptions {
  cause?: unknown;
  /** The task (or group) id the operation was about, when there is one. */
  taskId?: string;
}

export class BackendError extends Error {
  readonly code: string = 'CQ_BACKEND';
  readonly taskId: string | undefined;
  constructor(message: string, options: BackendErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.taskId = options.taskId;
  }
}

/** A bad URL or option. The message always names the fix. */
export class BackendConfigurationError extends BackendError {
  override readonly code: string = 'CQ_BACKEND_CONFIGURATION';
}

/** The URL's scheme is not a known backend alias; the message names the closest one. */
export class UnknownBackendError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_UNKNOWN';
}

/** The alias is known but its package is not installed; the message gives the `pnpm add` line. */
export class BackendNotInstalledError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_NOT_INSTALLED';
  constructor(readonly packageName: string, message: string, options: BackendErrorOptions = {}) {
    super(message, options);
  }
}

/** Storing a state failed (Celery `BackendStoreError`); `cause` is the driver's error. */
export class BackendStoreError extends BackendError {
  override readonly code = 'CQ_BACKEND_STORE';
}

/** Reading a task's meta failed (Celery `BackendGetMetaError`); `cause` is the driver's error. */
export class BackendGetMetaError extends BackendError {
  override readonly code: string = 'CQ_BACKEND_GET_META';
}

/**
 * A pickle read from a database backend's `result` column could not be taken as plain data. `offset`
 * is the byte position in the pickle where reading stopped.
 */
export class PickleError extends BackendGetMetaError {
  override readonly code: string = 'CQ_BACKEND_PICKLE';
  constructor(message: string, readonly offset: number, options: BackendErrorOptions = {}) {
    super(message, options);
  }
}

/**
 * The safe pickle reader met an opcode it refuses: one that names or calls code (`GLOBAL`,
 * `STACK_GLOBAL`, `REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, `EXT1/2/4`, `PERSID`,
 * `BINPERSID`) or any other opcode outside the plain-value set. Reading stopped there and nothing was
 * executed: the reader never resolves a name. `opcode` is e.g. `"REDUCE (0x52)"`.
 */
export class UnsafePickleError extends PickleError {
  override readonly code = 'CQ_BACKEND_PICKLE_UNSAFE';
  constructor(message: string, readonly opcode: string, offset: number, options: BackendErrorOptions = {}) {
    super(message, offset, options);
  }
}

/** A pickle that is truncated, malformed, or past one of the reader's limits (depth, size). */
export class PickleFormatError extends PickleError {
  override readonly code = 'CQ_BACKEND_PICKLE_FORMAT';
}

/** An operation was attempted after `close()`. */
export class BackendClosedError extends BackendError {
  override readonly code = 'CQ_BACKEND_CLOSED';
}

/** A stored exception dict has no `exc_type` (Celery raises ValueError in `exception_to_python`). */
export class InvalidExceptionInfoError extends BackendError {
  override readonly code = 'CQ_BACKEND_INVALID_EXCEPTION_INFO';
}

/**
 * `waitFor` reached its timeout before the task was ready (Celery `celery.exceptions.TimeoutError`,
 * "The operation timed out."). `timeoutMs` is the timeout that was given, in milliseconds.
 */
export class TimeoutError extends BackendError {
  override readonly code = 'CQ_BACKEND_TIMEOUT';
  constructor(message: string, readonly timeoutMs: number, options: BackendErrorOptions = {}) {
    super(message, options);
  }
}

/** `waitFor` was cancelled through its `signal`; `cause` is the signal's reason. */
export class WaitAbortedError extends BackendError {
  override readonly code = 'CQ_BACKEND_ABORTED';
}

/** True for errors that already carry a cq code (and so should not be wrapped again). */
export function hasCqCode(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('CQ_');
}
