/**
 * Pool component (Celery `celery/worker/components.py` `Pool`): creates the execution pool
 * (`w.pool`) and, when the worker stops, drains it according to the shutdown stage (docs "Worker
 * shutdown"):
 *
 * - jobs accepted but not started (prefetched) go back to the broker at once, at every stage;
 * - warm: wait until the running tasks finish;
 * - soft: wait up to `worker_soft_shutdown_timeout` s for them (the whole time when
 *   `worker_enable_soft_shutdown_on_idle`), then cancel what still runs; a timeout of 0 cancels at once;
 * - cold (`terminate`): cancel what runs now.
 *
 * Cancelling a task fires its `signal`, stores RETRY and requeues its message if acks late (see
 * `Request.terminate`). An escalation (warm → soft → cold) during the wait takes effect at once.
 * A pool with resources of its own (a {@link ManagedPool}: `prefork`, `threads`, or one a factory
 * built) is started and closed or terminated here too, through its `onStart`/`onStop`/`onTerminate`.
 *
 * Which pool (Celery `-P`, `worker_pool`): `WorkerOptions.pool`, else the `worker_pool` setting, else
 * `prefork` when `appModule` is given (children load the app from it) and `async` otherwise. Concurrency
 * (`-c`, `worker_concurrency`): default the number of CPUs for `prefork`/`threads`, 100 for `async`, 1
 * for `solo`.
 */
import { availableParallelism } from 'node:os';
import { Step } from '../bootsteps.js';
import { WorkerError } from '../errors.js';
import { createPool, isPoolName, POOL_NAMES } from '../pool.js';
import { isManagedPool, listsProcesses, type ManagedPool } from '../pool-capabilities.js';
import { ProcessPool } from '../process-pool.js';
import type { Worker } from '../worker.js';
import { workerSettings } from '../settings.js';

export class PoolComponent extends Step<Worker> {
  static override readonly label = 'Pool';

  override create(w: Worker): void {
    const conf = workerSettings(w.app.conf);
    const option = w.options.pool ?? conf.worker_pool ?? (w.options.appModule ? 'prefork' : 'async');
    if (typeof option === 'function') {
      w.pool = option(w.options.concurrency ?? conf.worker_concurrency ?? 100);
      return;
    }
    if (!isPoolName(option)) throw new RangeError(`unknown pool ${JSON.stringify(option)}: use one of ${POOL_NAMES.join(', ')}`);
    const fallback = option === 'solo' ? 1 : option === 'async' ? 100 : availableParallelism();
    const concurrency = w.options.concurrency ?? conf.worker_concurrency ?? fallback;
    w.pool = option === 'prefork' || option === 'threads' ? processPool(w, option, concurrency) : createPool(option, concurrency);
  }

  override async start(w: Worker): Promise<void> {
    if (isManagedPool(w.pool)) await w.pool.onStart();
  }

  override async stop(w: Worker): Promise<void> {
    await this.requeueWaiting(w);
    for (;;) {
      const how = w.shutdownMode ?? 'warm';
      const escalated = w.whenEscalated();
      if (how === 'warm') {
        if ((await Promise.race([w.pool.whenIdle().then(() => 'idle' as const), escalated])) === 'idle') break;
        continue;
      }
      if (how === 'soft' && (await this.softWait(w, escalated)) === 'escalated') continue;
      await w.cancelActiveRequests();
      if (isManagedPool(w.pool)) await w.pool.onTerminate();
      return;
    }
    if (isManagedPool(w.pool)) await w.pool.onStop();
  }

  override async terminate(w: Worker): Promise<void> {
    await this.requeueWaiting(w);
    await w.cancelActiveRequests();
    if (isManagedPool(w.pool)) await w.pool.onTerminate();
  }

  override info(w: Worker): Record<string, unknown> {
    const processes = listsProcesses(w.pool) ? { processes: w.pool.pids } : {};
    return { implementation: w.pool.name, 'max-concurrency': w.pool.limit, ...processes, active: w.pool.active, waiting: w.pool.waiting };
  }

  private async requeueWaiting(w: Worker): Promise<void> {
    const waiting = w.pool.takeWaiting();
    for (const job of waiting) await job.requeue?.().catch((err: unknown) => w.log.error(`could not requeue a prefetched task: ${String(err)}`));
    w.restored += waiting.length;
  }

  /** Celery `wait_for_soft_shutdown`; resolves 'done' when it is time to cancel (or nothing runs). */
  private async softWait(w: Worker, escalated: Promise<'escalated'>): Promise<'done' | 'escalated'> {
    const { worker_soft_shutdown_timeout: timeout, worker_enable_soft_shutdown_on_idle: onIdle } = workerSettings(w.app.conf);
    if (!(timeout > 0) || (w.pool.active === 0 && !onIdle)) return 'done';
    w.log.warn(`Initiating Soft Shutdown, terminating in ${timeout} seconds`);
    let timer: NodeJS.Timeout | undefined;
    const waits: Array<Promise<'done' | 'escalated'>> = [new Promise((resolve) => { timer = setTimeout(() => resolve('done'), timeout * 1000); }), escalated];
    if (!onIdle) waits.push(w.pool.whenIdle().then(() => 'done' as const));
    try {
      return await Promise.race(waits);
    } finally {
      clearTimeout(timer);
    }
  }
}

function processPool(w: Worker, kind: 'prefork' | 'threads', concurrency: number): ManagedPool {
  const { appModule, autoscale } = w.options;
  if (!appModule) throw new WorkerError(`pool ${kind} runs tasks in children, which load the app from its module: give WorkerOptions.appModule (the CLI's -A), or use pool 'async'`);
  const conf = workerSettings(w.app.conf);
  const resultBackend = w.app.resultBackendUrl;
  return new ProcessPool({
    kind, concurrency: autoscale ? autoscale.min : concurrency, log: w.log,
    init: { appModule, brokerUrl: w.app.broker.url, ...(resultBackend ? { resultBackend } : {}) },
    ...(autoscale ? { autoscale } : {}),
    maxTasksPerChild: w.options.maxTasksPerChild ?? conf.worker_max_tasks_per_child ?? undefined,
    maxMemoryPerChild: w.options.maxMemoryPerChild ?? conf.worker_max_memory_per_child ?? undefined,
  });
}
