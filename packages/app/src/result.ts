/**
 * AsyncResult: a handle on a task's state and result in the result backend (Celery `celery/result.py`).
 * Reading is I/O, so the accessors are async: `await r.state()`, `await r.get({ timeout: 10 })`.
 */
import { PROPAGATE_STATES, READY_STATES, errorFromExceptionInfo, type TaskMeta } from '@cq/backend';
import { ImproperlyConfigured, TimeoutError } from './errors.js';

/** What AsyncResult needs from a result backend. */
export interface ResultBackend {
  getTaskMeta(taskId: string): Promise<TaskMeta>;
  /** @cq/backend `Backend.waitFor`: `timeout` and `interval` in seconds (Celery `wait_for`). */
  waitFor(taskId: string, options?: { timeout?: number; interval?: number; signal?: AbortSignal }): Promise<TaskMeta>;
  forget(taskId: string): Promise<void>;
}

export interface GetOptions {
  /** Seconds to wait (as Celery's `get(timeout=...)`). Default: wait forever. */
  timeout?: number;
  /** Throw the task's error when it failed. Default true (Celery `propagate`). */
  propagate?: boolean;
  /** Polling interval in **seconds** for backends that poll. Default 0.5 (as Celery). */
  interval?: number;
  signal?: AbortSignal;
}

export class AsyncResult<R = unknown> {
  constructor(
    readonly id: string,
    private readonly backendRef: () => Promise<ResultBackend | null>,
  ) {}

  private async backend(): Promise<ResultBackend> {
    const backend = await this.backendRef();
    if (!backend) {
      throw new ImproperlyConfigured('no result backend is configured: set `result_backend` (e.g. sqlite:///.cq/results.db or redis://localhost:6379/0), or pass --result-backend');
    }
    return backend;
  }

  /** The stored meta: status, result, traceback, children, date_done, ... (PENDING when unknown). */
  async meta(): Promise<TaskMeta> {
    return (await this.backend()).getTaskMeta(this.id);
  }

  /** Current state name: PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED or a custom one. */
  async state(): Promise<string> {
    return (await this.meta()).status;
  }

  /** True when the task reached SUCCESS, FAILURE or REVOKED. */
  async ready(): Promise<boolean> {
    return READY_STATES.has(await this.state());
  }

  async successful(): Promise<boolean> {
    return (await this.state()) === 'SUCCESS';
  }

  async failed(): Promise<boolean> {
    return (await this.state()) === 'FAILURE';
  }

  /** The return value, or the error for FAILURE/REVOKED (not thrown), or undefined while pending. */
  async result(): Promise<R | Error | undefined> {
    const meta = await this.meta();
    if (meta.status === 'PENDING') return undefined;
    if (PROPAGATE_STATES.has(meta.status) || meta.status === 'RETRY') return errorFromExceptionInfo(meta.result);
    return meta.result as R;
  }

  /**
   * Celery's `AsyncResult.info`: the meta of a custom state (`ctx.updateState({ state: 'PROGRESS',
   * meta: { done: 3 } })` → `{ done: 3 }`), `{ pid, hostname }` while STARTED, the error of a
   * FAILURE/RETRY/REVOKED, the value of a SUCCESS, undefined while PENDING.
   */
  async info(): Promise<unknown> {
    return this.result();
  }

  /** The remote traceback text of a failed task, or null. */
  async traceback(): Promise<string | null> {
    return (await this.meta()).traceback ?? null;
  }

  /**
   * Waits for the task to be ready and returns its result (Celery `AsyncResult.get`).
   * Throws {@link TimeoutError} after `timeout` seconds; throws the task's error (a `RemoteTaskError`
   * whose `name` is the remote exception type) when it failed and `propagate` is true.
   */
  async get(options: GetOptions = {}): Promise<R> {
    const { timeout, propagate = true, interval = 0.5, signal } = options;
    let meta: TaskMeta;
    try {
      meta = await (await this.backend()).waitFor(this.id, {
        ...(timeout === undefined ? {} : { timeout }),
        interval,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'CQ_BACKEND_TIMEOUT') {
        throw new TimeoutError(`the operation timed out waiting ${timeout} s for task ${this.id}`, { cause: err });
      }
      throw err;
    }
    if (propagate && PROPAGATE_STATES.has(meta.status)) throw errorFromExceptionInfo(meta.result);
    return meta.result as R;
  }

  /** Removes the stored result (Celery `forget`). */
  async forget(): Promise<void> {
    return (await this.backend()).forget(this.id);
  }

  toString(): string {
    return this.id;
  }
}
