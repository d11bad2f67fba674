/**
 * `ProcessPool` — the `prefork` and `threads` pools (Celery's `celery/concurrency/prefork.py` over
 * billiard): a @cq/billiard `Pool` of children that load `child-entry.ts` and the app module. It is a
 * worker {@link Pool} (the parent runs `Request.execute` for each job: acks, results, retries, signals)
 * and an {@link Executor} (the request's function call goes to a child).
 *
 * The parent starts up to twice as many requests as there are children, so a child finds its next
 * task waiting in it (billiard's one prefetched job) when it finishes one; `limit` — the worker's
 * concurrency, which sets the prefetch count — stays the number of children (`autoscale.max` with
 * autoscaling). Time limits go to billiard: the hard limit kills and replaces the child
 * (`TimeLimitExceeded`), the soft one aborts the task's `signal` (`SoftTimeLimitExceeded`). A child
 * dying mid-task rejects it with `WorkerLostError`. A task cancelled by a cold shutdown is abandoned
 * by the parent; `onTerminate` then kills the children.
 */
import { fileURLToPath } from 'node:url';
import { extname } from 'node:path';
import { Pool as ChildPool, type AutoscaleOptions, type PoolKind } from '@cq/billiard';
import type { Logger } from '@cq/app';
import type { ChildInitArgs } from './child-entry.js';
import { fromChild, type Executor, type InvokeLimits, type TaskCall } from './executor.js';
import { AsyncPool } from './pool.js';

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

export class ProcessPool extends AsyncPool implements Executor {
  override readonly name: PoolKind;
  /** The billiard pool. */
  readonly children: ChildPool;

  constructor(options: ProcessPoolOptions) {
    const limit = options.autoscale?.max ?? options.concurrency;
    super(limit, limit * 2);
    this.name = options.kind;
    const log = options.log;
    this.children = new ChildPool({
      kind: options.kind,
      size: options.concurrency,
      entry: CHILD_ENTRY,
      initArgs: options.init,
      ...(options.maxTasksPerChild ? { maxTasksPerChild: options.maxTasksPerChild } : {}),
      ...(options.maxMemoryPerChild ? { maxMemoryPerChild: options.maxMemoryPerChild } : {}),
      ...(options.autoscale ? { autoscale: options.autoscale } : {}),
      onChildStarted: (pid) => log.debug(`${options.kind} child ${pid} ready`),
      onChildExit: (pid, code, signal) => {
        if (signal || (code !== 0 && code !== null)) log.error(`${options.kind} child ${pid} exited with ${signal ? `signal ${signal}` : `exitcode ${code}`}`);
      },
    });
  }

  /** Ids of the live children (process ids, or thread ids for `threads`). */
  get pids(): number[] {
    return this.children.pids;
  }

  /** Runs the call in a child; errors are mapped by {@link fromChild}. */
  async invoke(call: TaskCall, limits: InvokeLimits): Promise<unknown> {
    try {
      return await this.children.apply(call, {
        jobId: call.request.id,
        ...(limits.softTimeLimit ? { softTimeLimit: limits.softTimeLimit } : {}),
        ...(limits.timeLimit ? { timeLimit: limits.timeLimit } : {}),
      });
    } catch (error) {
      throw fromChild(error);
    }
  }

  /** Starts the children; rejects with billiard's `WorkerInitError` when one cannot load the app. */
  onStart(): Promise<void> {
    return this.children.start();
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
