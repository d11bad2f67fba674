/** One `apply()` call as the pool tracks it: where it is, its limits, and how it settles. */

import { deferred } from '@cq/vine';
import type { Deferred } from '@cq/vine';

export class Job {
  readonly done: Deferred<unknown> = deferred<unknown>();
  /** The child reported that it began running it. */
  started = false;
  /** When the pool heard it began (`performance.now()`, ms). */
  startedAt = 0;
  /** The pool asked its child to give it back unstarted (see `Pool` rebalancing). */
  yielding = false;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param seq pool-wide sequence number (the IPC key).
   * @param jobId the caller's id, given to hooks and `ctx.jobId`.
   * @param softTimeLimit seconds, or undefined.
   * @param timeLimit seconds, or undefined.
   */
  constructor(
    readonly seq: number,
    readonly jobId: string | number,
    readonly payload: unknown,
    readonly softTimeLimit: number | undefined,
    readonly timeLimit: number | undefined,
    readonly onStart: ((pid: number) => void) | undefined = undefined,
  ) {}

  /** Starts the hard time limit clock (the pool's timeout handler); `onExpire` kills the child. */
  armTimeLimit(onExpire: () => void): void {
    if (this.timeLimit !== undefined) this.timer = setTimeout(onExpire, this.timeLimit * 1000);
  }

  resolve(value: unknown): void {
    clearTimeout(this.timer);
    this.done.resolve(value);
  }

  reject(error: unknown): void {
    clearTimeout(this.timer);
    this.done.reject(error);
  }
}
