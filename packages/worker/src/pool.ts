/**
 * Execution pools: `solo` (one task at a time, in the consumer's process) and `async` (up to
 * `concurrency` tasks in flight on the event loop, for I/O-bound tasks) run task functions in-process;
 * `prefork` and `threads` (`process-pool.ts`, @cq/billiard) run them in children. All queue accepted
 * jobs beyond their limit; on warm shutdown the queued jobs are handed back for requeueing.
 */
import type { Executor } from './executor.js';

export interface PoolJob {
  run(): Promise<void>;
  /** Gives the job's message back to the broker (used for jobs never started at shutdown). */
  requeue?(): Promise<void>;
}

export interface Pool {
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
  /** Optional lifecycle for pools with resources (a process pool's children), called by the worker's Pool step (Celery `BasePool.on_start`). */
  onStart?(): Promise<void>;
  /** Warm stop, after running jobs finished (`on_stop`). */
  onStop?(): Promise<void>;
  /** Cold stop: kill what still runs (`on_terminate`). */
  onTerminate?(): Promise<void>;
  /** Present on process pools: runs a task's function in a child (the {@link Executor} seam of `Request`). */
  invoke?: Executor['invoke'];
}

/** Builds a pool for a concurrency (what `WorkerOptions.pool` accepts besides a name: e.g. a process pool). */
export type PoolFactory = (concurrency: number) => Pool;

export class AsyncPool implements Pool {
  readonly name: string = 'async';
  private running = 0;
  private readonly queue: PoolJob[] = [];
  private idleWaiters: Array<() => void> = [];

  /** @param size concurrency, at least 1. */
  constructor(private size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool concurrency must be a whole number >= 1, got ${size}`);
  }

  /** Concurrency; changed by {@link resize} (a process pool's `grow`/`shrink`). */
  get limit(): number {
    return this.size;
  }

  /**
   * Sets the concurrency, starting queued jobs a larger {@link openWindow} admits; a smaller one lets
   * running jobs finish. Throws a RangeError unless `limit` is a whole number >= 1.
   */
  protected resize(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pool concurrency must be a whole number >= 1, got ${limit}`);
    this.size = limit;
    while (this.running < this.openWindow() && this.queue.length > 0) this.start(this.queue.shift()!);
  }

  /**
   * Jobs that may be started now: the concurrency; a process pool starts as many as its children can
   * hold (running plus prefetched), so the next job already waits in a child when one finishes.
   */
  protected openWindow(): number {
    return this.size;
  }

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  apply(job: PoolJob): void {
    if (this.running < this.openWindow()) this.start(job);
    else this.queue.push(job);
  }

  takeWaiting(): PoolJob[] {
    return this.queue.splice(0);
  }

  whenIdle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(job: PoolJob): void {
    this.running++;
    job.run().catch(() => undefined).finally(() => {
      this.running--;
      const open = this.openWindow();
      while (this.running < open && this.queue.length > 0) this.start(this.queue.shift()!);
      if (this.running === 0 && this.queue.length === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
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
