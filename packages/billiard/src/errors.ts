/**
 * Errors raised by @cq/billiard. Every class has a stable `code` and keeps the original `cause`.
 *
 * ```
 * BilliardError                      CQ_BILLIARD
 * ├── SoftTimeLimitExceeded          CQ_BILLIARD_SOFT_TIME_LIMIT   the job's AbortSignal reason (in the child)
 * ├── TimeLimitExceeded              CQ_BILLIARD_TIME_LIMIT        hard limit: the child was killed
 * ├── WorkerLostError                CQ_BILLIARD_WORKER_LOST       the child died mid-job; `exitCode`, `signal`
 * ├── WorkerInitError                CQ_BILLIARD_WORKER_INIT       the entry module failed to load or `init()`
 * ├── JobTerminatedError             CQ_BILLIARD_JOB_TERMINATED    `terminateJob()`: child killed or job removed
 * └── PoolClosedError                CQ_BILLIARD_POOL_CLOSED       `apply()` after `close()`
 *     └── PoolTerminatedError        CQ_BILLIARD_POOL_TERMINATED   job dropped by `terminate()`
 * ```
 *
 * Errors thrown by a job handler are not wrapped: they are re-created in the parent as plain `Error`s
 * keeping `name`, `message`, `stack` and their own enumerable fields (see `remote-error.ts`).
 */

export interface BilliardErrorOptions {
  cause?: unknown;
}

export class BilliardError extends Error {
  readonly code: string = 'CQ_BILLIARD';
  constructor(message: string, options: BilliardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * The soft time limit of a job passed (billiard `SoftTimeLimitExceeded`). Raised inside the child: it is
 * the `reason` of the job's `ctx.signal`, and `ctx.checkpoint()` throws it. A job may catch it and clean up.
 */
export class SoftTimeLimitExceeded extends BilliardError {
  override readonly code = 'CQ_BILLIARD_SOFT_TIME_LIMIT';
}

/** The hard time limit of a job passed; its child was killed and replaced (billiard `TimeLimitExceeded`). */
export class TimeLimitExceeded extends BilliardError {
  override readonly code = 'CQ_BILLIARD_TIME_LIMIT';
  /** The limit that passed, in seconds. */
  readonly timeLimit: number;
  constructor(timeLimit: number, options: BilliardErrorOptions = {}) {
    super(`TimeLimitExceeded(${timeLimit})`, options);
    this.timeLimit = timeLimit;
  }
}

export interface WorkerLostErrorOptions extends BilliardErrorOptions {
  /** Exit code of the child process or thread, null when killed by a signal. */
  exitCode?: number | null;
  /** Signal that killed a child process (`SIGKILL`...), null otherwise. */
  signal?: NodeJS.Signals | null;
}

/** The child running a job exited before the job finished (billiard `WorkerLostError`). */
export class WorkerLostError extends BilliardError {
  override readonly code = 'CQ_BILLIARD_WORKER_LOST';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  constructor(message: string, options: WorkerLostErrorOptions = {}) {
    super(message, options);
    this.exitCode = options.exitCode ?? null;
    this.signal = options.signal ?? null;
  }
}

/** A child could not load the entry module, or its `onProcessInit()`/`init()` threw. `cause` is the child's error. */
export class WorkerInitError extends BilliardError {
  override readonly code = 'CQ_BILLIARD_WORKER_INIT';
}

export interface JobTerminatedErrorOptions extends BilliardErrorOptions {
  /** The caller's id of the job. */
  jobId: string | number;
  /** The signal sent to the child that ran the job; null when the job had not started and was only removed. */
  signal: NodeJS.Signals | null;
}

/**
 * The job was terminated by `Pool.terminateJob()` (billiard `terminate_job`, used by Celery's
 * `revoke(terminate=True)`): its child was killed with `signal` and replaced, or, not yet started, it
 * was removed from the pool or from the child it waited in (`signal` null).
 */
export class JobTerminatedError extends BilliardError {
  override readonly code = 'CQ_BILLIARD_JOB_TERMINATED';
  readonly jobId: string | number;
  readonly signal: NodeJS.Signals | null;
  constructor(message: string, options: JobTerminatedErrorOptions) {
    super(message, options);
    this.jobId = options.jobId;
    this.signal = options.signal;
  }
}

/** The pool no longer accepts jobs (billiard raises `ValueError("Pool not running")`). */
export class PoolClosedError extends BilliardError {
  override readonly code: string = 'CQ_BILLIARD_POOL_CLOSED';
}

/** The pool was terminated while the job was queued or running. */
export class PoolTerminatedError extends PoolClosedError {
  override readonly code = 'CQ_BILLIARD_POOL_TERMINATED';
}
