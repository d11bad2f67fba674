/**
 * Execution pools: `solo` (one task at a time, in the consumer's process) and `async` (up to
 * `concurrency` tasks in flight on the event loop, for I/O-bound tasks) run task functions in-process;
 * `prefork` and `threads` (`process-pool.ts`, @cq/billiard) run them in children. The in-process pools
 * are a {@link JobWindow} (run up to the limit, queue the rest); a process pool holds one whose window
 * is its children's capacity. On warm shutdown the queued jobs are handed back for requeueing. What a pool can do beyond that (start children, grow, terminate a job)
 * it declares through the capability interfaces of `pool-capabilities.ts`.
 */
import { JobWindow, type PoolJob } from './job-window.js';

export type { PoolJob } from './job-window.js';

/** What every pool does (Celery `BasePool`): accept jobs and run them up to its limit. */
export interface Pool {
  /** The implementation name shown by `inspect stats` (`prefork`, `threads`, `async`, `solo`, ...). */
  readonly name: string;
  /** Tasks allowed to run at once. */
  readonly limit: number;
  /** Tasks running now. */
  readonly active: number;
  /** Accepted, not started. */
  readonly waiting: number;
  apply(job: PoolJob): void;
  /** Removes and returns the jobs not yet started. */
  takeWaiting(): PoolJob[];
  /** Resolves when nothing runs (queued jobs start meanwhile unless taken). */
  whenIdle(): Promise<void>;
}

/** Builds a pool for a concurrency (what `WorkerOptions.pool` accepts besides a name: e.g. a process pool). */
export type PoolFactory = (concurrency: number) => Pool;

/**
 * Up to `size` tasks in flight on the event loop, for I/O-bound tasks (`-P async`; Celery's nearest
 * are `eventlet`/`gevent`): a {@link JobWindow} as wide as its concurrency, with a name.
 */
export class AsyncPool extends JobWindow implements Pool {
  readonly name: string = 'async';

  /** @param size concurrency, at least 1. @throws RangeError otherwise. */
  constructor(size: number) {
    super(size);
  }
}

/** One task at a time (Celery `-P solo`). */
export class SoloPool extends AsyncPool {
  override readonly name = 'solo';
  constructor() {
    super(1);
  }
}

/** In-process pools (`solo`, `async`) and process pools (`prefork`, `threads`, see `ProcessPool`). */
export type PoolName = 'solo' | 'async' | 'prefork' | 'threads';

export const POOL_NAMES: readonly PoolName[] = ['prefork', 'threads', 'async', 'solo'];

/** True for a valid {@link PoolName}. */
export function isPoolName(name: unknown): name is PoolName {
  return POOL_NAMES.includes(name as PoolName);
}

/** Creates an in-process pool by name; throws a RangeError naming the valid names. */
export function createPool(name: string, concurrency: number): Pool {
  if (name === 'solo') return new SoloPool();
  if (name === 'async') return new AsyncPool(concurrency);
  throw new RangeError(`unknown in-process pool ${JSON.stringify(name)}: use solo or async (prefork and threads are ProcessPool)`);
}
