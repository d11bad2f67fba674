/**
 * EagerResult: the result of a task run here with `Task.apply()` or under `task_always_eager`
 * (Celery `celery.result.EagerResult`). It is already known, so nothing is read from a backend.
 *
 * ```ts
 * const r = await add.apply([2, 3]);
 * r.status;                 // 'SUCCESS' (sync, as Celery's `state`/`status`)
 * await r.get();            // 5
 * const f = await fail.apply([]);
 * await f.failed();         // true; `await f.get()` throws the task's own error, `get({ propagate: false })` returns it
 * ```
 */
import { PROPAGATE_STATES, type TaskMeta } from '@cq/backend';
import { AsyncResult, type GetOptions } from './result.js';

export class EagerResult<R = unknown> extends AsyncResult<R> {
  private current: string;

  /**
   * @param value the return value, or the error of a failure (Celery `ret_value`).
   * @param state SUCCESS, FAILURE, RETRY, IGNORED or REJECTED.
   * @param tb the traceback text of a failure (the error's stack), else null.
   * @param name the task's name (Celery 5.3 `EagerResult.name`).
   */
  constructor(id: string, private readonly value: unknown, state: string, private readonly tb: string | null = null, readonly name: string | null = null) {
    super(id, () => Promise.resolve(null));
    this.current = state;
  }

  /** The state, synchronously (Celery `EagerResult.state` / `status`). */
  get status(): string {
    return this.current;
  }

  override meta(): Promise<TaskMeta> {
    return Promise.resolve({ task_id: this.id, status: this.current, result: this.value, traceback: this.tb, children: [], date_done: null });
  }

  override state(): Promise<string> {
    return Promise.resolve(this.current);
  }

  /** Always true: the task already ran (Celery). */
  override ready(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** The value, or the task's own error for a failure (not a RemoteTaskError: it never left the process). */
  override result(): Promise<R | Error | undefined> {
    return Promise.resolve(this.value as R | Error | undefined);
  }

  override traceback(): Promise<string | null> {
    return Promise.resolve(this.tb);
  }

  /** None recorded in eager mode (Celery's EagerResult has no children). */
  override children(): Promise<null> {
    return Promise.resolve(null);
  }

  /**
   * The value of a success; for FAILURE (or REVOKED) the error is thrown with `propagate` (default
   * true), else returned; for any other state (RETRY, IGNORED, REJECTED) null (Celery returns None).
   * Timeouts do not apply: there is nothing to wait for.
   */
  override get(options: GetOptions = {}): Promise<R> {
    if (this.current === 'SUCCESS') return Promise.resolve(this.value as R);
    if (PROPAGATE_STATES.has(this.current)) {
      const error = this.value instanceof Error ? this.value : new Error(String(this.value));
      return options.propagate === false ? Promise.resolve(this.value as R) : Promise.reject(error);
    }
    return Promise.resolve(null as R);
  }

  /** Nothing is stored, so nothing to forget (Celery). */
  override forget(): Promise<void> {
    return Promise.resolve();
  }

  /** Marks this result REVOKED; nothing is sent (Celery `EagerResult.revoke`). */
  override revoke(): Promise<void> {
    this.current = 'REVOKED';
    return Promise.resolve();
  }
}
