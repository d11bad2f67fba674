/**
 * Configuration with Celery's own setting names and defaults (`celery/app/defaults.py`), so Celery's
 * documentation applies as written. Durations are in **seconds**, as in Celery.
 *
 * Precedence for the broker and result backend: explicit override (CLI `-b`) → environment
 * (`CQ_BROKER_URL` / `CELERY_BROKER_URL`, `CQ_RESULT_BACKEND` / `CELERY_RESULT_BACKEND`) → app
 * configuration → the embedded SQLite default. With no broker configured anywhere, the broker is
 * `sqlite:///.cq/broker.db` and, unless one is configured, results go to `sqlite:///.cq/results.db`.
 */
import type { QueueOptions, RetryPolicy } from '@cq/kombu';

/** A route: where a task's messages go (Celery `task_routes` values). */
export interface RouteSpec {
  queue?: string;
  exchange?: string;
  routing_key?: string;
  priority?: number;
}

/** A function router (Celery `route_for_task(name, args, kwargs, options, task)`); null/undefined = no opinion. */
export type RouteFunction = (name: string, args: unknown[], kwargs: Record<string, unknown>, options: Record<string, unknown>, task?: unknown) => RouteSpec | string | null | undefined;

/** Celery `task_routes`: a map of names or globs (`proj.*`) to routes, a function, or a list of them. */
export type TaskRoutes = Record<string, RouteSpec | string> | RouteFunction | Array<Record<string, RouteSpec | string> | RouteFunction>;

/** A queue in `task_queues`: a name, or a name with kombu queue options. */
export type QueueSetting = string | ({ name: string } & QueueOptions);

export interface CelerySettings {
  /** Broker URL. Default: none configured → the embedded SQLite broker. */
  broker_url: string | null;
  /** Result backend URL (`sqlite:///...`, `redis://...`, `rpc://`). Default: see module doc. */
  result_backend: string | null;
  /** kombu transport options (e.g. `visibility_timeout`, `polling_interval`, seconds). */
  broker_transport_options: Record<string, unknown>;
  /** Default 'celery'. */
  task_default_queue: string;
  /** Default: same as the queue name. */
  task_default_exchange: string | null;
  task_default_exchange_type: 'direct' | 'topic' | 'fanout';
  /** Default: same as the queue name. */
  task_default_routing_key: string | null;
  /** 2 = persistent. */
  task_default_delivery_mode: number;
  task_default_priority: number | null;
  /** Adds `x-max-priority` to declared queues. Default null. */
  task_queue_max_priority: number | null;
  /** Queues the worker consumes by default; null → just `task_default_queue`. */
  task_queues: QueueSetting[] | null;
  task_routes: TaskRoutes | null;
  task_create_missing_queues: boolean;
  /** Default 'json'. */
  task_serializer: string;
  /** Default 'json'. */
  result_serializer: string;
  /** Content types or serializer names the worker accepts. Default ['json']. */
  accept_content: string[];
  /** Default: same as accept_content. */
  result_accept_content: string[] | null;
  /** Default null (no compression); 'zlib' or 'bzip2'. */
  task_compression: string | null;
  task_acks_late: boolean;
  task_acks_on_failure_or_timeout: boolean;
  task_reject_on_worker_lost: boolean;
  task_ignore_result: boolean;
  task_store_errors_even_if_ignored: boolean;
  task_track_started: boolean;
  /** Hard time limit, seconds. Default null. */
  task_time_limit: number | null;
  /** Soft time limit, seconds. Default null. */
  task_soft_time_limit: number | null;
  /** Seconds results are kept. Default 86400 (1 day); null = forever. */
  result_expires: number | null;
  result_extended: boolean;
  /** Default 4: prefetch = concurrency × multiplier. */
  worker_prefetch_multiplier: number;
  /** Default: number of CPUs (prefork) or 100 for the async pool. */
  worker_concurrency: number | null;
  /**
   * Execution pool (Celery `worker_pool`, `-P`): `prefork`, `threads`, `async` or `solo`. Default null:
   * `cq worker` uses `prefork` (as Celery), a `Worker` built in code `async` unless given `appModule`.
   */
  worker_pool: string | null;
  /** prefork/threads: replace a child after this many tasks. Default null (never). */
  worker_max_tasks_per_child: number | null;
  /** prefork/threads: replace a child whose resident memory passes this many KiB after a task. Default null (no limit). */
  worker_max_memory_per_child: number | null;
  /** Default 'UTC'. */
  timezone: string;
  enable_utc: boolean;
  /** Default 3 (Celery Task.max_retries). */
  task_default_max_retries: number;
  /**
   * Seconds a soft shutdown lets running tasks finish before cancelling them (Celery 5.5, docs
   * "Worker shutdown"). Default 0: the stage is skipped and a cold shutdown cancels at once.
   */
  worker_soft_shutdown_timeout: number;
  /** Run the soft shutdown's wait even when no task is running. Default false. */
  worker_enable_soft_shutdown_on_idle: boolean;
  /** Default 180 s. */
  task_default_retry_delay: number;
  /** Retry a publish that failed because the broker connection was lost or refused. Default true. */
  task_publish_retry: boolean;
  /**
   * How publishes are retried (kombu `retry_policy`, seconds). Default
   * `{ max_retries: 3, interval_start: 0, interval_step: 0.2, interval_max: 1 }` (Celery's).
   */
  task_publish_retry_policy: RetryPolicy;
  /** Rate limit of tasks without their own: `"10/s"`, `"100/m"`, `"1000/h"`, or a number per second. Default null. */
  task_default_rate_limit: string | number | null;
  /** Ignore every rate limit (`worker_disable_rate_limits`). Default false. */
  worker_disable_rate_limits: boolean;
  /** Most ETA/countdown tasks a worker holds in memory (Celery 5.5 `worker_eta_task_limit`). Default null = unlimited. */
  worker_eta_task_limit: number | null;
  [setting: string]: unknown;
}

export const DEFAULTS: Readonly<CelerySettings> = Object.freeze({
  broker_url: null,
  result_backend: null,
  broker_transport_options: {},
  task_default_queue: 'celery',
  task_default_exchange: null,
  task_default_exchange_type: 'direct',
  task_default_routing_key: null,
  task_default_delivery_mode: 2,
  task_default_priority: null,
  task_queue_max_priority: null,
  task_queues: null,
  task_routes: null,
  task_create_missing_queues: true,
  task_serializer: 'json',
  result_serializer: 'json',
  accept_content: ['json'],
  result_accept_content: null,
  task_compression: null,
  task_acks_late: false,
  task_acks_on_failure_or_timeout: true,
  task_reject_on_worker_lost: false,
  task_ignore_result: false,
  task_store_errors_even_if_ignored: false,
  task_track_started: false,
  task_time_limit: null,
  task_soft_time_limit: null,
  result_expires: 86400,
  result_extended: false,
  worker_prefetch_multiplier: 4,
  worker_concurrency: null,
  worker_pool: null,
  worker_max_tasks_per_child: null,
  worker_max_memory_per_child: null,
  timezone: 'UTC',
  enable_utc: true,
  task_default_max_retries: 3,
  worker_soft_shutdown_timeout: 0,
  worker_enable_soft_shutdown_on_idle: false,
  task_default_retry_delay: 180,
  task_publish_retry: true,
  task_publish_retry_policy: Object.freeze({ max_retries: 3, interval_start: 0, interval_step: 0.2, interval_max: 1 }),
  task_default_rate_limit: null,
  worker_disable_rate_limits: false,
  worker_eta_task_limit: null,
});

/** The embedded default broker (a file under ./.cq/ relative to the working directory). */
export const EMBEDDED_BROKER_URL = 'sqlite:///.cq/broker.db';
/** The embedded default result backend. */
export const EMBEDDED_RESULT_BACKEND = 'sqlite:///.cq/results.db';

/** Builds settings from defaults and the given values; unknown keys are kept (Celery allows them). */
export function createSettings(values: Partial<CelerySettings> = {}): CelerySettings {
  const settings: CelerySettings = { ...DEFAULTS, accept_content: [...DEFAULTS.accept_content], broker_transport_options: {} };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) settings[key] = value;
  return settings;
}

/** Resolves the broker URL by the precedence in the module doc. */
export function resolveBrokerUrl(settings: CelerySettings, env: NodeJS.ProcessEnv = process.env): { url: string; embedded: boolean } {
  const url = env['CQ_BROKER_URL'] || env['CELERY_BROKER_URL'] || settings.broker_url;
  return url ? { url, embedded: false } : { url: EMBEDDED_BROKER_URL, embedded: true };
}

/** Resolves the result backend URL, or null when results are disabled (Celery's DisabledBackend). */
export function resolveResultBackend(settings: CelerySettings, brokerEmbedded: boolean, env: NodeJS.ProcessEnv = process.env): string | null {
  const url = env['CQ_RESULT_BACKEND'] || env['CELERY_RESULT_BACKEND'] || settings.result_backend;
  if (url) return url;
  return brokerEmbedded ? EMBEDDED_RESULT_BACKEND : null;
}
