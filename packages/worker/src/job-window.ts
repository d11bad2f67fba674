/**
 * `JobWindow` — the part every pool shares: it runs accepted jobs while fewer than its window are
 * running and queues the rest in order (Celery's pool semaphore, `put-guarded-by-semaphore`):
 *
 * - the in-process pools (`async`, `solo`) are one, its window their concurrency;
 * - a process pool holds one and forwards `apply`, `takeWaiting`, `whenIdle`, `active` and `waiting`
 *   to it; its window is what the children can hold (running plus prefetched), so the next job
 *   already waits in a child when one finishes.
 *
 * A job's failure is the job's business (`Request.execute` settles its own message); the window only
 * counts it as finished.
 */
import { Thenable } from '@cq/vine';

const RESOLVED: Promise<void> = Promise.resolve();

/** One accepted job (a `Request` ready to execute). */
export interface PoolJob {
  run(): Promise<void>;
  /** Gives the job's message back to the broker (used for jobs never started at shutdown). */
  requeue?(): Promise<void>;
}

/** How many jobs may run at once for a concurrency `limit`; default the limit itself. */
export type WindowSize = (limit: number) => number;

export class JobWindow {
  private size: number;
  private running = 0;
  private readonly queue: PoolJob[] = [];
  /** Settles when nothing runs or waits; a new one per busy period (vine's settle-once promise). */
  private idle: Thenable<void> | null = null;

  /**
   * @param limit the concurrency, a whole number >= 1.
   * @param window jobs started at most for a limit; default the limit.
   * @throws RangeError for a bad `limit`.
   */
  constructor(limit: number, private readonly window: WindowSize = (n) => n) {
    this.size = checkLimit(limit);
  }

  /** The concurrency (tasks allowed to run at once); changed by {@link resize}. */
  get limit(): number {
    return this.size;
  }

  /** Jobs started and not finished. */
  get active(): number {
    return this.running;
  }

  /** Jobs accepted and not started. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Sets the concurrency and starts the queued jobs a larger window admits; a smaller one lets the
   * running jobs finish. @throws RangeError unless `limit` is a whole number >= 1.
   */
  resize(limit: number): void {
    this.size = checkLimit(limit);
    this.fill();
  }

  /** Starts the job now if the window is open, else queues it. */
  apply(job: PoolJob): void {
    if (this.running < this.window(this.size)) this.start(job);
    else this.queue.push(job);
  }

  /** Removes and returns the queued jobs (shutdown hands them back to the broker). */
  takeWaiting(): PoolJob[] {
    const taken = this.queue.splice(0);
    this.settleIfIdle();
    return taken;
  }

  /** Resolves when nothing runs and nothing waits (queued jobs start meanwhile unless taken). */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    this.idle ??= new Thenable<void>();
    return Promise.resolve(this.idle);
  }

  private start(job: PoolJob): void {
    this.running++;
    let running: Promise<void>;
    try {
      running = job.run();
    } catch {
      running = RESOLVED;
    }
    running.then(this.finished, this.finished);
  }

  /** One job finished (whatever its outcome): the next queued ones may start. One function for all jobs. */
  private readonly finished = (): void => {
    this.running--;
    this.fill();
    this.settleIfIdle();
  };

  private fill(): void {
    const open = this.window(this.size);
    while (this.running < open && this.queue.length > 0) this.start(this.queue.shift()!);
  }

  private settleIfIdle(): void {
    if (this.running !== 0 || this.queue.length !== 0 || !this.idle) return;
    const idle = this.idle;
    this.idle = null;
    idle.resolve();
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pool concurrency must be a whole number >= 1, got ${limit}`);
  return limit;
}
