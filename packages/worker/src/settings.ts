/**
 * The worker's settings, by Celery's names and with its defaults (`celery/app/defaults.py`, the
 * `worker` namespace), read from `app.conf` through {@link workerSettings}. Durations are in seconds,
 * as in Celery. The `declare module` below adds them to `CelerySettings` (type only: importing this
 * package changes nothing at runtime), so `new Celery('proj', { worker_concurrency: 8 })` type-checks
 * wherever @cq/worker is part of the program. `worker_send_task_events` belongs to @cq/events.
 */
import { settingsSlice, type CelerySettings } from '@cq/app';
import { DEFAULT_MAX_BODY_SIZE } from '@cq/kombu';

export interface WorkerSettings {
  /** Prefetch = concurrency × this; 0 = unlimited (Celery `worker_prefetch_multiplier`). Default 4. */
  worker_prefetch_multiplier: number;
  /**
   * Tasks run at once (Celery `worker_concurrency`, `-c`). Default null: the number of CPUs for
   * prefork/threads, 100 for async, 1 for solo.
   */
  worker_concurrency: number | null;
  /**
   * Execution pool (Celery `worker_pool`, `-P`): `prefork`, `threads`, `async` or `solo`. Default null:
   * `cq worker` uses `prefork` (as Celery), a `Worker` built in code `async` unless given `appModule`.
   */
  worker_pool: string | null;
  /** prefork/threads: replace a child after this many tasks (Celery `worker_max_tasks_per_child`). Default null (never). */
  worker_max_tasks_per_child: number | null;
  /**
   * prefork/threads: replace a child whose resident memory passes this many **KiB** after a task
   * (Celery `worker_max_memory_per_child`). Default null (no limit).
   */
  worker_max_memory_per_child: number | null;
  /**
   * Seconds a soft shutdown lets running tasks finish before cancelling them (Celery 5.5
   * `worker_soft_shutdown_timeout`, docs "Worker shutdown"). Default 0: the stage is skipped and a
   * cold shutdown cancels at once.
   */
  worker_soft_shutdown_timeout: number;
  /** Run the soft shutdown's wait even when no task is running (Celery `worker_enable_soft_shutdown_on_idle`). Default false. */
  worker_enable_soft_shutdown_on_idle: boolean;
  /** Ignore every rate limit (Celery `worker_disable_rate_limits`). Default false. */
  worker_disable_rate_limits: boolean;
  /** Most ETA/countdown tasks the worker holds in memory (Celery 5.6 `worker_eta_task_limit`). Default null (unlimited). */
  worker_eta_task_limit: number | null;
  /**
   * File keeping revoked task ids and the clock across restarts (Celery `worker_state_db`, `-S`,
   * `--statedb`). Default null (not kept).
   */
  worker_state_db: string | null;
  /**
   * cq: run the Mingle step at start-up (sync revoked ids with the other workers). Celery runs it
   * unless `--without-mingle`; cq only when this is true. Default false.
   */
  worker_mingle: boolean;
  /**
   * cq (beyond Celery, which has no limit): most **bytes** of a task message body, as received and
   * once decompressed. A larger body is refused as undecodable (logged, acked, nothing stored); a
   * compression bomb stops decompressing at the limit. Default 16 MiB (RabbitMQ 4's largest
   * message); `Infinity` for no limit (null means the default, as for every setting).
   */
  worker_max_body_size: number;
  /**
   * On RabbitMQ, look for quorum queues among the app's queues (Celery 5.5 `worker_detect_quorum_queues`):
   * when one is found the prefetch limit is set per consumer (quorum queues refuse a channel-wide one)
   * and stays fixed, and the delayed-delivery step declares the delay queues. Default true.
   */
  worker_detect_quorum_queues: boolean;
  /**
   * Also consume `<hostname>.dq2`, bound to the direct exchange `C.dq2` with the node name as
   * routing key, so a task can be sent to this one worker (`queue: workerDirect('w1@host')`)
   * (Celery `worker_direct`). Default false.
   */
  worker_direct: boolean;
}

declare module '@cq/app' {
  // The worker's slice of Celery's settings: optional in `app.conf` (present only when configured).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the slice's members
  interface CelerySettings extends Partial<WorkerSettings> {}
}

/** Celery's defaults of the worker settings (and cq's for `worker_mingle`). */
export const WORKER_DEFAULTS: Readonly<WorkerSettings> = Object.freeze({
  worker_prefetch_multiplier: 4,
  worker_concurrency: null,
  worker_pool: null,
  worker_max_tasks_per_child: null,
  worker_max_memory_per_child: null,
  worker_soft_shutdown_timeout: 0,
  worker_enable_soft_shutdown_on_idle: false,
  worker_disable_rate_limits: false,
  worker_eta_task_limit: null,
  worker_state_db: null,
  worker_mingle: false,
  worker_max_body_size: DEFAULT_MAX_BODY_SIZE,
  worker_detect_quorum_queues: true,
  worker_direct: false,
});

/** The worker settings in effect for `conf`: each configured value, else its default. */
export function workerSettings(conf: CelerySettings): WorkerSettings {
  return settingsSlice<WorkerSettings>(conf, WORKER_DEFAULTS);
}
