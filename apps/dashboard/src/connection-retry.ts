/**
 * Celery's broker connection retry settings, as the dashboard's event capture reads them from
 * `app.conf` (Celery `celery/app/defaults.py`, the `broker` namespace; the worker's consumer uses
 * them the same way in `ensure_connected`):
 *
 * | setting | default | here |
 * |---|---|---|
 * | `broker_connection_retry` | true | reconnect after the broker was lost; false: recording stops |
 * | `broker_connection_retry_on_startup` | null (= `broker_connection_retry`) | keep trying when the broker is down at start, instead of failing the start |
 * | `broker_connection_max_retries` | 100 | attempts per outage; 0 or null: no limit |
 * | `broker_connection_timeout` | 4.0 s | longest wait for one attempt, and for one probe of a live connection |
 *
 * Between attempts it waits as kombu's `ensure_connection` does: 2 s, then 2 s more each time, at
 * most 30 s; the first attempt after a loss is immediate.
 */
import type { CelerySettings } from '@cq/celery';

export interface ConnectionRetrySettings {
  broker_connection_retry: boolean;
  broker_connection_retry_on_startup: boolean;
  /** Null: no limit. */
  broker_connection_max_retries: number | null;
  /** Seconds. */
  broker_connection_timeout: number;
}

/** kombu `ensure_connection` intervals, seconds. */
const INTERVAL_START = 2;
const INTERVAL_STEP = 2;
const INTERVAL_MAX = 30;

/** The settings in effect for `conf`, Celery's defaults filling in what is not set. */
export function connectionRetrySettings(conf: CelerySettings): ConnectionRetrySettings {
  const get = (key: string): unknown => Reflect.get(conf, key);
  const retry = get('broker_connection_retry') ?? true;
  const onStartup = get('broker_connection_retry_on_startup');
  const maxRetries = get('broker_connection_max_retries');
  const timeout = Number(get('broker_connection_timeout') ?? 4);
  return {
    broker_connection_retry: Boolean(retry),
    broker_connection_retry_on_startup: onStartup === undefined || onStartup === null ? Boolean(retry) : Boolean(onStartup),
    broker_connection_max_retries: maxRetries === undefined ? 100 : maxRetries === null || Number(maxRetries) === 0 ? null : Number(maxRetries),
    broker_connection_timeout: Number.isFinite(timeout) && timeout > 0 ? timeout : 4,
  };
}

/** Seconds to wait after failed attempt number `attempt` (1-based): 2, 4, 6, ... 30. */
export function retryInterval(attempt: number): number {
  return Math.min(INTERVAL_START + (attempt - 1) * INTERVAL_STEP, INTERVAL_MAX);
}
