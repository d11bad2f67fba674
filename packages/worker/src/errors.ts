/**
 * Errors raised by @cq/worker, each with a stable `code` and its `cause`.
 *
 * ```
 * WorkerError               CQ_WORKER
 * ├── WorkerLostError       CQ_WORKER_LOST        the process running a task died (Celery `WorkerLostError`)
 * ├── WorkerStateError      CQ_WORKER_STATE       start/stop called out of order
 * ├── WorkerTerminate       CQ_WORKER_TERMINATE   a soft/cold shutdown cancelled the running task (Celery `WorkerTerminate`)
 * ├── PoolCapabilityError   CQ_WORKER_POOL_CAPABILITY  the pool cannot do what a control command asked (grow, autoscale)
 * ├── PoolStartError        CQ_WORKER_POOL_START  a prefork/threads child could not load the app module; says how to fix it
 * ├── BootstepError         CQ_WORKER_BOOTSTEP    a blueprint cannot be built (not a Step class, unknown requirement)
 * │   └── BootstepCycleError CQ_WORKER_BOOTSTEP_CYCLE  steps require each other in a cycle
 * ├── PingCheckError        CQ_WORKER_PING_CHECK  @cq/worker/testing: the started worker did not answer `celery.ping`
 * └── ShutdownTimeoutError  CQ_WORKER_SHUTDOWN_TIMEOUT  @cq/worker/testing: tasks outlived `shutdownTimeout`; cancelled (cold)
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

/** The reason a task's `signal` fires when a soft or cold shutdown cancels it. */
export class WorkerTerminate extends WorkerError {
  override readonly code = 'CQ_WORKER_TERMINATE';
}

/**
 * The worker's pool lacks a capability a remote control command needs (`pool_grow` on an in-process
 * pool, `autoscale` without autoscaling). `pyName` is the Python exception Celery raises there
 * (`NotImplementedError`, `ValueError`); the pidbox reply shows it as `{"error": "ValueError('...')"}`.
 */
export class PoolCapabilityError extends WorkerError {
  override readonly code = 'CQ_WORKER_POOL_CAPABILITY';
  constructor(message: string, readonly pyName: 'NotImplementedError' | 'ValueError' = 'NotImplementedError') {
    super(message);
  }
}

/**
 * A child of a `prefork`/`threads` pool failed to start: it could not import the app module, or
 * `worker_process_init` threw there. The message holds the child's error and a hint; `cause` is
 * billiard's `WorkerInitError` (whose `cause` is the child's error, re-created with its `code`).
 */
export class PoolStartError extends WorkerError {
  override readonly code = 'CQ_WORKER_POOL_START';
}

export class BootstepError extends WorkerError {
  override readonly code: string = 'CQ_WORKER_BOOTSTEP';
}

/** `requires` form a cycle; `cycle` lists the step names around it, the first repeated at the end. */
export class BootstepCycleError extends BootstepError {
  override readonly code = 'CQ_WORKER_BOOTSTEP_CYCLE';
  constructor(readonly blueprint: string, readonly cycle: string[]) {
    super(`blueprint ${blueprint}: bootsteps require each other in a cycle: ${cycle.join(' -> ')}`);
  }
}

/**
 * `startWorker` (@cq/worker/testing) started a worker, but the `celery.ping` task it sent was not
 * answered with `'pong'` within `pingTaskTimeout`: the message says where the ping went and which
 * queues the worker consumes. The worker is stopped before this is thrown; `cause` is the
 * `AsyncResult.get()` error (a `TimeoutError`, or the task's own failure).
 */
export class PingCheckError extends WorkerError {
  override readonly code = 'CQ_WORKER_PING_CHECK';
}

/**
 * A test worker's warm shutdown outlived `shutdownTimeout` (Celery's start_worker raises
 * `RuntimeError` there): the tasks still running were cancelled by a cold shutdown, which completed
 * before this is thrown. `running` names them as `name[id]`.
 */
export class ShutdownTimeoutError extends WorkerError {
  override readonly code = 'CQ_WORKER_SHUTDOWN_TIMEOUT';
  constructor(message: string, readonly running: string[]) {
    super(message);
  }
}
