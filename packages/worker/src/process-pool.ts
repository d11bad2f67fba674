/**
 * `ProcessPool` — the `prefork` and `threads` pools (Celery's `celery/concurrency/prefork.py` over
 * billiard): a @cq/billiard `Pool` of children that load `child-entry.ts` and the app module. It is a
 * worker {@link Pool} (the parent runs `Request.execute` for each job: acks, results, retries, signals)
 * and an {@link Executor} (the request's function call goes to a child).
 *
 * The parent hands the children as many requests as they can hold (billiard prefetches one job
 * behind each running one, up to 64 for sub-millisecond tasks, and takes them back when a task turns
 * out slow), so a child finds its next task waiting in it when it finishes one; the rest wait here and
 * go back to the broker at shutdown. A request counts as started (early ack, `task_prerun`, STARTED,
 * `inspect active`) when its child begins it, as Celery's accept callback. `limit` — the worker's
 * concurrency, which sets the prefetch count — stays the number of children (`autoscale.max` with
 * autoscaling). Time limits go to billiard: the hard limit kills and replaces the child
 * (`TimeLimitExceeded`), the soft one aborts the task's `signal` (`SoftTimeLimitExceeded`). A child
 * dying mid-task rejects it with `WorkerLostError`. A task cancelled by a cold shutdown is abandoned
 * by the parent; `onTerminate` then kills the children. `terminateJob` kills the child running one task
 * (revoke with terminate); `grow`/`shrink` change the number of children (`pool_grow`/`pool_shrink`);
 * `restart` replaces them with children loading the app module afresh (`pool_restart`, autoreload).
 *
 * Capabilities (`pool-capabilities.ts`): managed, executor, resizable, restartable, job terminator,
 * process listing.
 * The jobs it accepts go through a {@link JobWindow} whose window is the children's capacity.
 */
import { fileURLToPath } from 'node:url';
import { constants } from 'node:os';
import { extname } from 'node:path';
import { MAX_PREFETCH, Pool as ChildPool, type AutoscaleOptions, type PoolKind } from '@cq/billiard';
import type { Logger } from '@cq/app';
import type { ChildInitArgs } from './child-entry.js';
import { fromChild, type InvokeLimits, type TaskCall } from './executor.js';
import { JobWindow, type PoolJob } from './job-window.js';
import { poolStartError } from './pool-start-error.js';
import type { ExecutorPool, JobTerminator, ManagedPool, ProcessListingPool, ResizablePool, RestartablePool } from './pool-capabilities.js';

export interface ProcessPoolOptions {
  /** `prefork` (child processes) or `threads` (worker threads). */
  kind: PoolKind;
  /** Children (Celery `worker_concurrency`, `-c`); with `autoscale`, its `max`. */
  concurrency: number;
  /** What the children load: the app module and the parent's broker/result URLs. */
  init: ChildInitArgs;
  /** Replace a child after this many tasks (`worker_max_tasks_per_child`). */
  maxTasksPerChild?: number;
  /** Replace a child past this resident memory, KiB, checked after each task (`worker_max_memory_per_child`). */
  maxMemoryPerChild?: number;
  /** Grow and shrink between `min` and `max` children (`--autoscale max,min`). */
  autoscale?: AutoscaleOptions;
  log: Logger;
}

/** The child entry beside this module (`.ts` from source, `.js` when built). */
const CHILD_ENTRY = fileURLToPath(new URL(`./child-entry${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export class ProcessPool implements ManagedPool, ExecutorPool, ResizablePool, RestartablePool, JobTerminator, ProcessListingPool {
  readonly name: PoolKind;
  /** The billiard pool. */
  readonly children: ChildPool;
  /** Starts jobs while the children can hold them (running plus prefetched), at least two per child. */
  private readonly jobs: JobWindow;
  /** What the children load (named in start errors). */
  private readonly appModule: string;

  /** @throws RangeError for a concurrency below 1 (or billiard's for bad child options). */
  constructor(options: ProcessPoolOptions) {
    this.name = options.kind;
    this.appModule = options.init.appModule;
    this.jobs = new JobWindow(options.autoscale?.max ?? options.concurrency,
      (limit) => Math.min(limit * (1 + MAX_PREFETCH), Math.max(this.children.capacity, limit * 2)));
    const log = options.log;
    this.children = new ChildPool({
      kind: options.kind,
      size: options.concurrency,
      entry: CHILD_ENTRY,
      initArgs: options.init,
      // A .ts app module (`path` or `path:name`) needs tsx in the children even though this entry is .js once built.
      typescript: /\.[cm]?tsx?(?::[^/]*)?$/.test(options.init.appModule),
      ...(options.maxTasksPerChild ? { maxTasksPerChild: options.maxTasksPerChild } : {}),
      ...(options.maxMemoryPerChild ? { maxMemoryPerChild: options.maxMemoryPerChild } : {}),
      ...(options.autoscale ? { autoscale: options.autoscale } : {}),
      onChildStarted: (pid) => log.debug(`${options.kind} child ${pid} ready`),
      onChildExit: (pid, code, signal) => {
        if (signal || (code !== 0 && code !== null)) log.error(`${options.kind} child ${pid} exited with ${signal ? `signal ${signal}` : `exitcode ${code}`}`);
      },
    });
  }

  /** Children (Celery `max-concurrency`); `autoscale.max` with autoscaling. */
  get limit(): number {
    return this.jobs.limit;
  }

  get active(): number {
    return this.jobs.active;
  }

  get waiting(): number {
    return this.jobs.waiting;
  }

  apply(job: PoolJob): void {
    this.jobs.apply(job);
  }

  takeWaiting(): PoolJob[] {
    return this.jobs.takeWaiting();
  }

  whenIdle(): Promise<void> {
    return this.jobs.whenIdle();
  }

  /** Ids of the live children (process ids, or thread ids for `threads`). */
  get pids(): number[] {
    return this.children.pids;
  }

  /**
   * Adds `n` children (Celery `pool_grow`, billiard `grow`); `limit` grows by `n`. The caller raises
   * the prefetch count (`n` × `worker_prefetch_multiplier`).
   * @throws RangeError unless `n` is a whole number >= 0.
   */
  grow(n = 1): void {
    checkCount(n);
    this.children.grow(n);
    this.jobs.resize(this.limit + n);
  }

  /**
   * Removes `n` children, idle ones first; a busy one finishes its task before it exits (Celery
   * `pool_shrink`, billiard `shrink`). `limit` shrinks by `n`; the caller lowers the prefetch count.
   * @throws RangeError unless `n` is a whole number >= 0 leaving at least one child.
   */
  shrink(n = 1): void {
    checkCount(n);
    if (this.limit - n < 1) throw new RangeError(`cannot shrink the pool by ${n}: it has ${this.limit} children and keeps at least 1`);
    this.children.shrink(n);
    this.jobs.resize(this.limit - n);
  }

  /**
   * Replaces every child with a new one that imports the app module afresh (Celery's `pool_restart`,
   * billiard `restart`): new code in the app module and what it imports runs from now on. The old
   * children take no new task and hand back their prefetched ones; each finishes the task it is
   * running, then exits once all the new children are ready. This process keeps its own app: the task
   * registry, task options and settings it read at start stay as they were.
   * @returns resolves once the new children are ready; rejects with a `PoolStartError` (the child's
   *   error and a hint) when the new children cannot load the app (the old ones serve on), or with
   *   billiard's `PoolClosedError` when the pool is stopping.
   */
  restart(): Promise<void> {
    return this.children.restart().catch((error: unknown) => {
      throw poolStartError(error, this.name, this.appModule);
    });
  }

  /**
   * Terminates the task with request id `taskId` (Celery `Request.terminate` → billiard
   * `terminate_job`): the child running it gets `signal` (threads: `worker.terminate()`) and is
   * replaced; a task not begun in a child is removed. Its `invoke` rejects with billiard's
   * `JobTerminatedError`.
   * @param signal a signal name with or without `SIG` (`SIGTERM`, `KILL`) or number; default SIGTERM.
   * @returns false when no child holds or waits for that task.
   * @throws RangeError for an unknown signal.
   */
  terminateJob(taskId: string, signal: string | number = 'SIGTERM'): boolean {
    return this.children.terminateJob(taskId, signalName(signal));
  }

  /** Runs the call in a child; `onStarted` when the child begins it. Errors are mapped by {@link fromChild}. */
  async invoke(call: TaskCall, limits: InvokeLimits, onStarted?: () => void): Promise<unknown> {
    try {
      return await this.children.apply(call, {
        jobId: call.request.id,
        ...(onStarted ? { onStart: onStarted } : {}),
        ...(limits.softTimeLimit ? { softTimeLimit: limits.softTimeLimit } : {}),
        ...(limits.timeLimit ? { timeLimit: limits.timeLimit } : {}),
      });
    } catch (error) {
      throw fromChild(error);
    }
  }

  /** Starts the children; rejects with a `PoolStartError` (the child's error and a hint) when one cannot load the app. */
  onStart(): Promise<void> {
    return this.children.start().catch((error: unknown) => {
      throw poolStartError(error, this.name, this.appModule);
    });
  }

  /** Lets the children finish and run `onProcessShutdown` (`worker_process_shutdown`). */
  onStop(): Promise<void> {
    return this.children.close();
  }

  /** Kills the children. */
  onTerminate(): Promise<void> {
    return this.children.terminate();
  }
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`the number of children to add or remove must be a whole number >= 0, got ${n}`);
}

/** A Node signal name for a Celery signal (`signals.signum`): `SIGKILL`, `KILL`, `kill` or 9. */
function signalName(signal: string | number): NodeJS.Signals {
  if (typeof signal === 'number') {
    const name = Object.entries(constants.signals).find(([, n]) => n === signal)?.[0];
    if (name === undefined) throw new RangeError(`unknown signal number ${signal}`);
    return name as NodeJS.Signals;
  }
  const upper = signal.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!Object.hasOwn(constants.signals, name)) throw new RangeError(`unknown signal ${JSON.stringify(signal)}`);
  return name as NodeJS.Signals;
}
