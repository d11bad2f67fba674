/**
 * What a pool can do beyond running jobs, as explicit capabilities (Celery's `BasePool` flags and
 * methods: `on_start`, `grow`/`shrink`, `terminate_job`, the autoscaler, `info()['processes']`).
 * A pool says it has one by implementing its interface; the worker's steps and the remote-control
 * state ask through the guards below and never test a concrete pool class.
 *
 * | capability | interface | guard | who has it |
 * |---|---|---|---|
 * | resources to start/stop (children) | {@link ManagedPool} | {@link isManagedPool} | prefork, threads |
 * | function calls run in children | {@link ExecutorPool} | {@link runsInChildren} | prefork, threads |
 * | add/remove children (`pool_grow`/`pool_shrink`) | {@link ResizablePool} | {@link canResize} | prefork, threads |
 * | change autoscale bounds (`autoscale`) | {@link AutoscalingPool} | {@link canAutoscale} | none yet (billiard's autoscaler has fixed bounds) |
 * | kill the child running one task (revoke `terminate`) | {@link JobTerminator} | {@link canTerminateJobs} | prefork, threads |
 * | list its processes (`inspect stats` `pool.processes`) | {@link ProcessListingPool} | {@link listsProcesses} | prefork, threads |
 * | replace its children with ones loading the code afresh (`pool_restart`) | {@link RestartablePool} | {@link canRestart} | prefork, threads |
 *
 * An in-process pool (`async`, `solo`) has none: it runs in the worker's own process.
 */
import type { Executor } from './executor.js';
import type { Pool } from './pool.js';

/** A pool with resources of its own, started and stopped by the Pool step (Celery `on_start`/`on_stop`/`on_terminate`). */
export interface ManagedPool extends Pool {
  /** Starts the resources (children); rejects when they cannot start. */
  onStart(): Promise<void>;
  /** Warm stop, after the running jobs finished: lets the children exit. */
  onStop(): Promise<void>;
  /** Cold stop: kills what still runs. */
  onTerminate(): Promise<void>;
}

/** A pool that runs each task's function somewhere else (a child): the `Request`'s {@link Executor}. */
export interface ExecutorPool extends Pool, Executor {}

/** A pool whose number of children changes at run time (Celery `pool_grow`/`pool_shrink`). */
export interface ResizablePool extends Pool {
  /** Adds `n` children; `limit` grows by `n`. @throws RangeError for a bad `n`. */
  grow(n: number): void;
  /** Removes `n` children, idle ones first; `limit` shrinks by `n`. @throws RangeError for a bad `n`. */
  shrink(n: number): void;
}

/** A pool whose autoscale bounds change at run time (Celery `Autoscaler.update`). */
export interface AutoscalingPool extends Pool {
  /** Sets `max` and/or `min` (null keeps one), growing or shrinking to fit; returns `[max, min]`. */
  autoscale(max: number | null, min: number | null): [number, number];
}

/** Something that can kill the child running one task (billiard `terminate_job`). */
export interface JobTerminator {
  /**
   * Terminates the job of request `taskId` with `signal` (a name with or without `SIG`, or a number).
   * @returns false when no child holds or waits for that task.
   * @throws RangeError for an unknown signal.
   */
  terminateJob(taskId: string, signal?: string | number): boolean;
}

/** A pool whose work runs in processes (or threads) it can list. */
export interface ProcessListingPool extends Pool {
  /** Ids of the live children: process ids, or thread ids for `threads`. */
  readonly pids: number[];
}

/** A pool whose children can be replaced by new ones that load the app module afresh (Celery `pool.restart()`). */
export interface RestartablePool extends Pool {
  /**
   * Replaces every child; running tasks finish in the old ones. Resolves once the new children are
   * ready; rejects with a `PoolStartError` when they cannot load the app (the old ones serve on).
   */
  restart(): Promise<void>;
}

/** True when the pool has resources to start and stop. */
export function isManagedPool(pool: Pool): pool is ManagedPool {
  return hasMethods(pool, 'onStart', 'onStop', 'onTerminate');
}

/** True when the pool runs task functions in children (it is the requests' executor). */
export function runsInChildren(pool: Pool): pool is ExecutorPool {
  return hasMethods(pool, 'invoke');
}

/** True when `pool_grow`/`pool_shrink` can change the pool. */
export function canResize(pool: Pool): pool is ResizablePool {
  return hasMethods(pool, 'grow', 'shrink');
}

/** True when the pool can replace its children with ones loading the code afresh. */
export function canRestart(pool: Pool): pool is RestartablePool {
  return hasMethods(pool, 'restart');
}

/** True when the `autoscale` command can change the pool's bounds. */
export function canAutoscale(pool: Pool): pool is AutoscalingPool {
  return hasMethods(pool, 'autoscale');
}

/** True when a pool or executor can terminate the job of one task. */
export function canTerminateJobs(target: Pool | Executor): target is (Pool | Executor) & JobTerminator {
  return hasMethods(target, 'terminateJob');
}

/** True when the pool lists its processes. */
export function listsProcesses(pool: Pool): pool is ProcessListingPool {
  return Array.isArray((pool as Partial<ProcessListingPool>).pids);
}

function hasMethods(target: object, ...names: string[]): boolean {
  return names.every((name) => typeof (target as Record<string, unknown>)[name] === 'function');
}
