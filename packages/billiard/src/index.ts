/**
 * @cq/billiard — the cq process pool, after Celery's billiard: `prefork` child processes or `threads`,
 * one job at a time per child, soft and hard time limits, max tasks / memory per child, grow, shrink
 * and autoscale. Children load an entry module that exports `init(initArgs)` → handler.
 */

export { Pool } from './pool.js';
export { MAX_PREFETCH } from './child.js';
export type { PoolKind, PoolOptions, ApplyOptions } from './pool.js';
export { Autoscaler } from './autoscaler.js';
export type { AutoscaleOptions, Scalable } from './autoscaler.js';
export type { EntryModule, JobContext, JobHandler } from './entry.js';
export { serializeError, deserializeError } from './remote-error.js';
export type { SerializedError } from './remote-error.js';
export {
  BilliardError,
  SoftTimeLimitExceeded,
  TimeLimitExceeded,
  WorkerLostError,
  WorkerInitError,
  JobTerminatedError,
  PoolClosedError,
  PoolTerminatedError,
} from './errors.js';
export type { BilliardErrorOptions, JobTerminatedErrorOptions, WorkerLostErrorOptions } from './errors.js';
