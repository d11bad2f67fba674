/**
 * Configuration with Celery's own setting names and defaults (`celery/app/defaults.py`), so Celery's
 * documentation applies as written. Durations are in **seconds**, as in Celery.
 *
 * Precedence for the broker and result backend: explicit override (CLI `-b`) → environment
 * (`CQ_BROKER_URL` / `CELERY_BROKER_URL`, `CQ_RESULT_BACKEND` / `CELERY_RESULT_BACKEND`) → app
 * configuration → the embedded SQLite default. With no broker configured anywhere, the broker is
 * `sqlite:///.cq/broker.db` and, unless one is configured, results go to `sqlite:///.cq/results.db`.
 */
import type { BrokerSsl, ExchangeType, QueueOptions, QueueType, RetryPolicy } from '@cq/kombu';
import type { TaskAnnotations } from './annotations.js';

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

/**
 * The app's settings (`app.conf`), by Celery's names (`celery/app/defaults.py`): the broker, result,
 * task and time-zone settings the app itself reads. Durations are in seconds, as in Celery.
 *
 * Other packages add their own slice by declaration merging, in their `settings.ts`:
 * `worker_*` (@cq/worker), `beat_*` (@cq/beat), `control_*` (@cq/control), `event_*` (@cq/events).
 * Their keys are optional here (`app.conf` holds them only when configured); each package reads its
 * slice with defaults through one function (`workerSettings(app.conf)`, ...). With the owning package
 * in the program, `new Celery('proj', { beat_max_loop_interval: 5 })` type-checks; a misspelt key fails
 * the object literal's excess-property check. At runtime, a key no Celery 5.6 or cq setting has is
 * logged once as a warning (see `Celery.conf` in app.ts).
 */
export interface CelerySettings {
  /** Broker URL (Celery `broker_url`). Default null: none configured → the embedded SQLite broker. */
  broker_url: string | null;
  /** Result backend URL (`sqlite:///...`, `redis://...`, `rpc://`) (Celery `result_backend`). Default null: see module doc. */
  result_backend: string | null;
  /** kombu transport options (e.g. `visibility_timeout`, `polling_interval`, seconds) (Celery `broker_transport_options`). Default `{}`. */
  broker_transport_options: Record<string, unknown>;
  /**
   * TLS to the broker (Celery `broker_use_ssl`): true, or the transport's dict — AMQP `{ ca_certs,
   * certfile, keyfile, cert_reqs, server_hostname }`, Redis `{ ssl_cert_reqs, ssl_ca_certs,
   * ssl_certfile, ssl_keyfile }`; file paths, read as Celery reads them; `cert_reqs` as
   * `'CERT_REQUIRED'`/`'CERT_OPTIONAL'`/`'CERT_NONE'` or 2/1/0. Used by every broker connection
   * (worker, clients, events, remote control, beat, rpc results). Default none.
   */
  broker_use_ssl?: BrokerSsl;
  /**
   * How a `;`-separated `broker_url` (`amqp://a//;amqp://b//`) is walked when the connection fails
   * (Celery `broker_failover_strategy`): `'round-robin'` or `'shuffle'`. Default `'round-robin'`.
   * The AMQP transport fails over; other transports use the first URL.
   */
  broker_failover_strategy?: 'round-robin' | 'shuffle' | null;
  /**
   * TLS of the Redis result backend (Celery `redis_backend_use_ssl`): `{ ssl_cert_reqs, ssl_ca_certs,
   * ssl_certfile, ssl_keyfile }` over the `rediss://` URL's query options. Default none.
   */
  redis_backend_use_ssl?: Record<string, unknown> | null;
  /** Queue of tasks without a route (Celery `task_default_queue`). Default `'celery'`. */
  task_default_queue: string;
  /** Exchange of the default queue (Celery `task_default_exchange`). Default null: the queue's name. */
  task_default_exchange: string | null;
  /** Type of the default exchange (Celery `task_default_exchange_type`). Default `'direct'`. */
  task_default_exchange_type: 'direct' | 'topic' | 'fanout';
  /** Routing key of the default queue (Celery `task_default_routing_key`). Default null: the queue's name. */
  task_default_routing_key: string | null;
  /**
   * RabbitMQ type of `task_default_queue` when `task_queues` is not set (Celery 5.5
   * `task_default_queue_type`): `'classic'`, or `'quorum'` (declared with `x-queue-type: quorum`; the
   * worker then sets a per-consumer prefetch and countdowns go through native delayed delivery, see
   * @cq/transport-amqp's README). Default `'classic'`.
   */
  task_default_queue_type: QueueType;
  /** Type of a queue created because a route named it (Celery 5.6 `task_create_missing_queue_type`). Default `'classic'`. */
  task_create_missing_queue_type: QueueType;
  /**
   * Exchange type of such a queue's exchange (named like the queue) (Celery 5.6
   * `task_create_missing_queue_exchange_type`); `'topic'` lets its countdowns use native delayed
   * delivery. Default null: `'direct'`.
   */
  task_create_missing_queue_exchange_type: ExchangeType | null;
  /**
   * Type of the delay queues `celery_delayed_0` … `celery_delayed_27` of RabbitMQ native delayed
   * delivery (Celery 5.5 `broker_native_delayed_delivery_queue_type`), `'quorum'` or `'classic'`.
   * Default `'quorum'`.
   */
  broker_native_delayed_delivery_queue_type: QueueType;
  /** AMQP delivery mode of task messages, 2 = persistent, 1 = transient (Celery `task_default_delivery_mode`). Default 2. */
  task_default_delivery_mode: number;
  /** Priority of tasks without one (Celery `task_default_priority`). Default null (none). */
  task_default_priority: number | null;
  /** Adds `x-max-priority` to declared queues (Celery `task_queue_max_priority`). Default null. */
  task_queue_max_priority: number | null;
  /** Queues the worker consumes by default (Celery `task_queues`). Default null: just `task_default_queue`. */
  task_queues: QueueSetting[] | null;
  /** Routers of tasks to queues (Celery `task_routes`). Default null. */
  task_routes: TaskRoutes | null;
  /** Declare a routed-to queue missing from `task_queues` (Celery `task_create_missing_queues`). Default true. */
  task_create_missing_queues: boolean;
  /** Serializer of task messages (Celery `task_serializer`). Default `'json'`. */
  task_serializer: string;
  /** Serializer of results (Celery `result_serializer`). Default `'json'`. */
  result_serializer: string;
  /** Content types or serializer names the worker accepts (Celery `accept_content`). Default `['json']`. */
  accept_content: string[];
  /** Same for results (Celery `result_accept_content`). Default null: `accept_content`. */
  result_accept_content: string[] | null;
  /** Compression of task messages, `'zlib'` or `'bzip2'` (Celery `task_compression`). Default null (none). */
  task_compression: string | null;
  /** Acknowledge after the task ran rather than before (Celery `task_acks_late`). Default false. */
  task_acks_late: boolean;
  /** With acks-late, acknowledge failed and timed-out tasks too (Celery `task_acks_on_failure_or_timeout`). Default true. */
  task_acks_on_failure_or_timeout: boolean;
  /** With acks-late, requeue a task whose worker process died (Celery `task_reject_on_worker_lost`). Default false. */
  task_reject_on_worker_lost: boolean;
  /** Store no results (Celery `task_ignore_result`). Default false. */
  task_ignore_result: boolean;
  /** Store errors even when results are ignored (Celery `task_store_errors_even_if_ignored`). Default false. */
  task_store_errors_even_if_ignored: boolean;
  /** Report the STARTED state (Celery `task_track_started`). Default false. */
  task_track_started: boolean;
  /** Hard time limit, seconds (Celery `task_time_limit`). Default null (none). */
  task_time_limit: number | null;
  /** Soft time limit, seconds (Celery `task_soft_time_limit`). Default null (none). */
  task_soft_time_limit: number | null;
  /** Seconds results are kept (Celery `result_expires`). Default 86400 (1 day); null = forever. */
  result_expires: number | null;
  /** Store the task's name, args, kwargs, worker, retries and queue with its result (Celery `result_extended`). Default false. */
  result_extended: boolean;
  /** Database result backends (`db+…`): table names, `{ task, group }` (Celery `database_table_names`). Default Celery's. */
  database_table_names?: { task?: string; group?: string } | null;
  /** Database result backends: schemas of the tables, `{ task, group }` (Celery `database_table_schemas`). Default none. */
  database_table_schemas?: { task?: string | null; group?: string | null } | null;
  /** Database result backends: SQLAlchemy-style engine options, `pool_size` … (Celery `database_engine_options`). Default none. */
  database_engine_options?: Record<string, unknown> | null;
  /** Time zone of crontabs and ETAs (Celery `timezone`). Default `'UTC'`. */
  timezone: string;
  /** Dates in messages are UTC (Celery `enable_utc`). Default true. */
  enable_utc: boolean;
  /** cq: retries of a task without its own `maxRetries` (Celery's `Task.max_retries`, as a setting). Default 3. */
  task_default_max_retries: number;
  /** cq: seconds before a retry without `countdown` (Celery's `Task.default_retry_delay`, as a setting). Default 180. */
  task_default_retry_delay: number;
  /** Retry a publish that failed because the broker connection was lost or refused (Celery `task_publish_retry`). Default true. */
  task_publish_retry: boolean;
  /**
   * How publishes are retried (kombu `retry_policy`, seconds) (Celery `task_publish_retry_policy`).
   * Default `{ max_retries: 3, interval_start: 0, interval_step: 0.2, interval_max: 1 }` (Celery's).
   */
  task_publish_retry_policy: RetryPolicy;
  /**
   * Rate limit of tasks without their own: `"10/s"`, `"100/m"`, `"1000/h"`, or a number per second
   * (Celery `task_default_rate_limit`). Default null (none).
   */
  task_default_rate_limit: string | number | null;
  /** Clients send a `task-sent` event for each task they publish (Celery `task_send_sent_event`). Default false. */
  task_send_sent_event: boolean;
  /**
   * Task options and handlers set by configuration (Celery `task_annotations`): a map of task names,
   * globs (cq) or `'*'` to `{ rateLimit, onFailure, ... }`, an object with `annotate(task)`, a
   * function of the task, or a list of them; see `annotations.ts`. Default null.
   */
  task_annotations: TaskAnnotations | null;
  /** `delay`/`applyAsync` run the task here, as `task.apply()`, instead of sending it (Celery `task_always_eager`). Default false. */
  task_always_eager: boolean;
  /** Eager runs (`apply`, `task_always_eager`) reject with the task's error instead of returning it (Celery `task_eager_propagates`). Default false. */
  task_eager_propagates: boolean;
  /** Eager runs store their results in the result backend (Celery `task_store_eager_result`). Default false. */
  task_store_eager_result: boolean;
}

export const DEFAULTS: Readonly<CelerySettings> = Object.freeze({
  broker_url: null,
  result_backend: null,
  broker_transport_options: {},
  task_default_queue: 'celery',
  task_default_exchange: null,
  task_default_exchange_type: 'direct',
  task_default_routing_key: null,
  task_default_queue_type: 'classic',
  task_create_missing_queue_type: 'classic',
  task_create_missing_queue_exchange_type: null,
  broker_native_delayed_delivery_queue_type: 'quorum',
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
  timezone: 'UTC',
  enable_utc: true,
  task_default_max_retries: 3,
  task_default_retry_delay: 180,
  task_publish_retry: true,
  task_publish_retry_policy: Object.freeze({ max_retries: 3, interval_start: 0, interval_step: 0.2, interval_max: 1 }),
  task_default_rate_limit: null,
  task_send_sent_event: false,
  task_annotations: null,
  task_always_eager: false,
  task_eager_propagates: false,
  task_store_eager_result: false,
});

/** The embedded default broker (a file under ./.cq/ relative to the working directory). */
export const EMBEDDED_BROKER_URL = 'sqlite:///.cq/broker.db';
/** The embedded default result backend. */
export const EMBEDDED_RESULT_BACKEND = 'sqlite:///.cq/results.db';

/**
 * Builds settings from {@link DEFAULTS} and the given values (undefined values are skipped). Keys the
 * app does not type are kept as given: other packages' slices, and unknown ones (which the app warns
 * about, see `Celery.conf`).
 */
export function createSettings(values: Partial<CelerySettings> = {}): CelerySettings {
  const settings: CelerySettings = { ...DEFAULTS, accept_content: [...DEFAULTS.accept_content], broker_transport_options: {} };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) Reflect.set(settings, key, value);
  return settings;
}

/** A slice type: only keys `CelerySettings` has (merged in by the owning package). */
type SliceOf<T> = { [K in keyof T]: K extends keyof CelerySettings ? unknown : never };

/**
 * A package's slice of `conf` with its defaults: for each key of `defaults`, the configured value, or
 * the default when the key is missing, undefined or null. This is how @cq/worker, @cq/beat,
 * @cq/control and @cq/events read the settings they own (`beatSettings(app.conf)`).
 */
export function settingsSlice<T extends SliceOf<T>>(conf: CelerySettings, defaults: Readonly<T>): T {
  const out = { ...defaults } as T;
  for (const key of Object.keys(defaults) as Array<keyof T & string>) {
    const value: unknown = Reflect.get(conf, key);
    if (value !== undefined && value !== null) out[key] = value as T[typeof key];
  }
  return out;
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
