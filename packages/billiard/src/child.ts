/**
 * The parent's handle on one child (process or thread) and its bookkeeping: the jobs sent to it, in
 * the order it runs them (the running one plus those prefetched, see `capacity`), and whether it is retiring.
 */

import type { Job } from './job.js';

/** A child holding fast jobs gets enough prefetched to keep it busy for about this long (ms). */
const PREFETCH_BUDGET_MS = 16;
/** The most jobs prefetched behind a child's running one. */
export const MAX_PREFETCH = 64;
import type { ToChild, ToParent } from './protocol.js';

/** What the pool hears from a child. */
export interface ChildEvents {
  message(child: Child, batch: ToParent[]): void;
  exit(child: Child, exitCode: number | null, signal: NodeJS.Signals | null): void;
  /** A message could not be serialized (e.g. `DataCloneError` for a job's payload). */
  unsendable(child: Child, message: ToChild, error: unknown): void;
}

/** How to start a child; built by `childSpec()`. */
export interface ChildSpec {
  /** Absolute path of the child main module. */
  childMain: string;
  execArgv: string[] | undefined;
  env: NodeJS.ProcessEnv | undefined;
  /** Threads only: the tsx CommonJS API to register before requiring `childMain` (TypeScript on Node 20). */
  tsxCjsApi: string | undefined;
  /** Threads only: the ESM build of `tsx/esm/api` to register before importing a JavaScript `childMain` whose entry loads TypeScript. */
  tsxEsmApi: string | undefined;
}

export abstract class Child {
  /** Process id, or the thread id for threads. */
  abstract readonly pid: number;
  /** The child sent `ready` (entry loaded, `init()` done). */
  ready = false;
  /** Gets no new jobs; exits after the ones it has. */
  retiring = false;
  /** Being replaced by `Pool.restart()`: gets no new jobs and retires once its replacements are ready. */
  outgoing = false;
  /** Jobs sent to it over its life (`maxTasksPerChild`). */
  dispatched = 0;
  /** Jobs sent and not finished, in run order. */
  readonly jobs: Job[] = [];
  /** Set before a hard time limit kill: the job that overran. */
  killedFor: Job | undefined;
  /** Set before a `terminateJob()` kill: the running job and the signal sent. */
  terminating: { job: Job; signal: NodeJS.Signals } | undefined;
  /** Prefetched jobs taken back by `terminateJob()` (sequence number → signal), in case the child started one meanwhile. */
  readonly cancelled = new Map<number, NodeJS.Signals>();
  /** The error `init()` or the entry import threw. */
  initError: Error | undefined;
  /** Moving average of its jobs' run times in ms (measured in the child); undefined before the first. */
  private avgRuntime: number | undefined;

  private outbox: ToChild[] = [];

  constructor(protected readonly events: ChildEvents) {}

  /**
   * Queues a message; everything posted in one turn of the event loop (all the I/O callbacks of one
   * poll phase and their microtasks) is sent as one batch, in one write.
   */
  post(message: ToChild): void {
    if (this.outbox.push(message) === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    try {
      this.send(batch);
    } catch {
      for (const message of batch) {
        try {
          this.send([message]);
        } catch (error) {
          this.events.unsendable(this, message, error);
        }
      }
    }
  }

  /**
   * Jobs it may hold, running one included: 2 until it has run a job, then as many as fill about
   * {@link PREFETCH_BUDGET_MS} of its recent run time (2 for jobs of 16 ms or more, at most
   * 1 + {@link MAX_PREFETCH} for jobs of a quarter millisecond or less). Prefetching hides the IPC round
   * trip and batches it (one pipe write carries many jobs); the budget keeps a slow job from holding
   * many others (the pool also takes back jobs stuck behind one).
   */
  get capacity(): number {
    if (this.avgRuntime === undefined) return 2;
    return 1 + Math.max(1, Math.min(MAX_PREFETCH, Math.floor(PREFETCH_BUDGET_MS / Math.max(this.avgRuntime, 0.001))));
  }

  /** Records that a job ran for `ms` milliseconds. */
  recordRuntime(ms: number): void {
    this.avgRuntime = this.avgRuntime === undefined ? ms : this.avgRuntime * 0.8 + ms * 0.2;
  }

  /** Sends messages at once; throws (e.g. `DataCloneError`) when one cannot be serialized. */
  protected abstract send(batch: ToChild[]): void;
  /** Sends `signal` (default SIGKILL) to a process; a thread is stopped with `terminate()` whatever the signal. */
  abstract kill(signal?: NodeJS.Signals): void;
}
