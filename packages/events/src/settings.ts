/**
 * The event settings, by Celery's names and with its defaults (`celery/app/defaults.py`), read from
 * `app.conf` (unknown keys are kept there, so they need no entry in `CelerySettings`).
 */
import type { CelerySettings } from '@cq/app';

export interface EventSettings {
  /** Exchange events are published to. Default `'celeryev'`. */
  event_exchange: string;
  /** Prefix of receiver queue names (`<prefix>.<uuid>`). Default `'celeryev'`. */
  event_queue_prefix: string;
  /** Seconds an event waits in a receiver queue (`x-message-ttl`). Default 5.0. */
  event_queue_ttl: number;
  /** Seconds an unused receiver queue lives (`x-expires`). Default 60.0. */
  event_queue_expires: number;
  /** Serializer of event bodies. Default `'json'`. */
  event_serializer: string;
  /** Workers send `task-*` events (`celery worker -E`). Default false. */
  worker_send_task_events: boolean;
  /** Clients send `task-sent` when they publish a task. Default false. */
  task_send_sent_event: boolean;
}

export const EVENT_DEFAULTS: Readonly<EventSettings> = Object.freeze({
  event_exchange: 'celeryev',
  event_queue_prefix: 'celeryev',
  event_queue_ttl: 5.0,
  event_queue_expires: 60.0,
  event_serializer: 'json',
  worker_send_task_events: false,
  task_send_sent_event: false,
});

/** The event settings in effect for `conf`: each configured value, else Celery's default. */
export function eventSettings(conf: CelerySettings): EventSettings {
  const out = { ...EVENT_DEFAULTS } as Record<string, unknown>;
  for (const key of Object.keys(EVENT_DEFAULTS)) if (conf[key] !== undefined && conf[key] !== null) out[key] = conf[key];
  return out as unknown as EventSettings;
}
