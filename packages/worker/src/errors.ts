/**
 * Errors raised by @cq/worker, each with a stable `code` and its `cause`.
 *
 * ```
 * WorkerError               CQ_WORKER
 * ├── WorkerLostError       CQ_WORKER_LOST        the process running a task died (Celery `WorkerLostError`)
 * └── WorkerStateError      CQ_WORKER_STATE       start/stop called out of order
 * ```
 */
export class WorkerError extends Error {
  readonly code: string = 'CQ_WORKER';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

export class WorkerLostError extends WorkerError {
  override readonly code = 'CQ_WORKER_LOST';
}

export class WorkerStateError extends WorkerError {
  override readonly code = 'CQ_WORKER_STATE';
}
