/**
 * The event settings, by Celery's names and with its defaults (`celery/app/defaults.py`, the `event`
 * namespace and `worker_send_task_events`), read from `app.conf` through {@link eventSettings}.
 * Durations are in seconds, as in Celery. The `declare module` below adds them to `CelerySettings`
 * (type only: importing this package changes nothing at runtime). `task_send_sent_event` is read by
 * the app when it publishes, so it is one of @cq/app's settings.
 */
import { settingsSlice, type CelerySettings } from '@cq/app';

export interface EventSettings {
  /** Exchange events are published to (Celery `event_exchange`). Default `'celeryev'`. */
  event_exchange: string;
  /** Prefix of receiver queue names, `<prefix>.<uuid>` (Celery `event_queue_prefix`). Default `'celeryev'`. */
  event_queue_prefix: string;
  /** Seconds an event waits in a receiver queue, `x-message-ttl` (Celery `event_queue_ttl`). Default 5.0. */
  event_queue_ttl: number;
  /** Seconds an unused receiver queue lives, `x-expires` (Celery `event_queue_expires`). Default 60.0. */
  event_queue_expires: number;
  /** Serializer of event bodies (Celery `event_serializer`). Default `'json'`. */
  event_serializer: string;
  /** Workers send `task-*` events (Celery `worker_send_task_events`, `celery worker -E`). Default false. */
  worker_send_task_events: boolean;
}

declare module '@cq/app' {
  // The events' slice of Celery's settings: optional in `app.conf` (present only when configured).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the slice's members
  interface CelerySettings extends Partial<EventSettings> {}
}

/** Celery's defaults of the event settings. */
export const EVENT_DEFAULTS: Readonly<EventSettings> = Object.freeze({
  event_exchange: 'celeryev',
  event_queue_prefix: 'celeryev',
  event_queue_ttl: 5.0,
  event_queue_expires: 60.0,
  event_serializer: 'json',
  worker_send_task_events: false,
});

/** The event settings in effect for `conf`: each configured value, else Celery's default. */
export function eventSettings(conf: CelerySettings): EventSettings {
  return settingsSlice<EventSettings>(conf, EVENT_DEFAULTS);
}
