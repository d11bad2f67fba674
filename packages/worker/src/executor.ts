/**
 * The executor seam: where a task's function runs. The parent always keeps the broker, decoding, acks,
 * result storing, retries and signals (`Request.execute`); only the call of the function moves. Without
 * an executor (`async`, `solo`) `Request` calls it in-process; a process pool (`prefork`, `threads`)
 * is an {@link Executor} that sends a {@link TaskCall} to a child (Celery's `apply_async` of
 * `trace_task` into billiard).
 *
 * Errors come back re-created by name (see @cq/billiard `deserializeError`); {@link fromChild} turns
 * the ones the parent must recognise back into their classes: Retry/Ignore/Reject (by `code`),
 * SoftTimeLimitExceeded, and the pool's TimeLimitExceeded / WorkerLostError.
 */
import { constants } from 'node:os';
import {
  Ignore, Reject, Retry, SoftTimeLimitExceeded, TimeLimitExceeded,
  type RetryOptions, type RetrySignature, type TaskRequest,
} from '@cq/app';
import { TimeLimitExceeded as PoolTimeLimitExceeded, WorkerLostError as PoolWorkerLostError } from '@cq/billiard';
import { WorkerLostError } from './errors.js';

/** What a child needs to run one task (sent by structured clone). */
export interface TaskCall {
  /** Registered task name. */
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** The request context (`ctx.request` in the child; `retry()` builds its message from it, `updateState()` its backend record). */
  request: TaskRequest;
}

/** Limits of one call, in seconds; see `Request`. */
export interface InvokeLimits {
  softTimeLimit: number | null;
  timeLimit: number | null;
}

/** Runs task functions somewhere else than the worker's event loop. */
export interface Executor {
  /**
   * Calls the task in a child; resolves with its return value, rejects with what it threw (re-created,
   * see {@link fromChild}), `TimeLimitExceeded` (hard limit: the child was killed) or `WorkerLostError`.
   * `onStarted` is called when a child begins the call (it may wait behind another task first).
   */
  invoke(call: TaskCall, limits: InvokeLimits, onStarted?: () => void): Promise<unknown>;
}

/** Maps an error from the pool to the class the worker acts on; other errors pass unchanged. */
export function fromChild(error: unknown): unknown {
  if (error instanceof PoolTimeLimitExceeded) return new TimeLimitExceeded(`hard time limit (${error.timeLimit} s) exceeded`, { cause: error });
  if (error instanceof PoolWorkerLostError) {
    const how = error.signal ? `signal ${constants.signals[error.signal] ?? '?'} (${error.signal})` : `exitcode ${error.exitCode ?? '?'}`;
    return new WorkerLostError(`Worker exited prematurely: ${how}.`, { cause: error });
  }
  if (!(error instanceof Error)) return error;
  const data = error as Error & { code?: unknown; options?: RetryOptions; sig?: RetrySignature | null; requeue?: unknown };
  let mapped: Error;
  switch (data.code) {
    case 'CQ_APP_RETRY': {
      const retry = new Retry(error.message, data.options ?? {});
      retry.sig = data.sig ?? null;
      mapped = retry;
      break;
    }
    case 'CQ_APP_IGNORE':
      mapped = new Ignore(error.message);
      break;
    case 'CQ_APP_REJECT':
      mapped = new Reject(error.message, data.requeue === true);
      break;
    case 'CQ_APP_SOFT_TIME_LIMIT':
    case 'CQ_BILLIARD_SOFT_TIME_LIMIT':
      mapped = new SoftTimeLimitExceeded(error.message);
      break;
    default:
      return error;
  }
  if (error.stack !== undefined) mapped.stack = error.stack;
  return mapped;
}
