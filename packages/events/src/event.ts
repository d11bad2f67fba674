/**
 * Events and the event exchange (Celery `celery/events/event.py`, `celery/utils/time.py`). An event is
 * a plain object whose only required field is `type` (`<group>-<name>`, e.g. `task-succeeded`); the
 * dispatcher adds `hostname`, `utcoffset`, `pid`, `clock` and `timestamp` (float Unix seconds).
 */
import { Exchange } from '@cq/kombu';

/** An event as it travels: Celery's field names, verbatim. */
export interface CeleryEvent {
  type: string;
  hostname?: string;
  /** Float Unix time in **seconds**. */
  timestamp?: number;
  /** Hours **west** of UTC (Python `time.timezone // 3600`). */
  utcoffset?: number;
  pid?: number;
  clock?: number;
  /** Added by receivers: local Unix time (s) the event arrived. */
  local_received?: number;
  [field: string]: unknown;
}

/** Builds an event: the fields plus `type`, and `timestamp` = now unless given (Celery `Event`). */
export function makeEvent(type: string, fields: Record<string, unknown> = {}, now: () => number = nowSeconds): CeleryEvent {
  const event: CeleryEvent = { ...fields, type };
  if (event.timestamp === undefined) event.timestamp = now();
  return event;
}

/** The group of an event type: `task-sent` → `task` (Celery `group_from`). */
export function groupFrom(type: string): string {
  return type.split('-', 1)[0]!;
}

/** The routing key of an event type: `task-succeeded` → `task.succeeded`. */
export function routingKeyOf(type: string): string {
  return type.replaceAll('-', '.');
}

/**
 * The event exchange (Celery `get_exchange`): a `topic` exchange named `name` (default `celeryev`),
 * turned into `fanout` on Redis as Celery does (Issue #436), where kombu maps fanout to PUB/SUB.
 * @param driverType the transport's `driverType` (`redis`, `amqp`, ...).
 */
export function eventExchange(driverType: string, name = 'celeryev'): Exchange {
  return new Exchange(name, { type: driverType === 'redis' ? 'fanout' : 'topic', durable: true, deliveryMode: 1 });
}

/** Current Unix time as a float in **seconds** (Python `time.time()`). */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/** This host's offset to UTC in whole hours **west** of UTC, DST included (Celery `utcoffset()`). */
export function utcoffset(date: Date = new Date()): number {
  return Math.floor((date.getTimezoneOffset() * 60) / 3600);
}

/** Moves a sender's timestamp (s) into local time given its `utcoffset` (Celery `adjust_timestamp`). */
export function adjustTimestamp(timestamp: number, offset: number, here: number = utcoffset()): number {
  return timestamp - (offset - here) * 3600;
}
