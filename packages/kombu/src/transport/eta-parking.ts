/**
 * Broker-side ETA (cq, beyond Celery and kombu). Celery keeps every ETA/countdown task in worker
 * memory, unacknowledged, until it is due: memory grows with the number of delayed tasks, and on
 * Redis a task held longer than `visibility_timeout` is delivered again and runs twice (kombu#337).
 * A transport that can keep a message out of its queue until a due time *parks* a task whose `eta`
 * is further away than a horizon, and puts it back into its queue, unchanged, when it is due:
 *
 * - at publish: the transport's `_put` parks such a message itself (the publisher's `eta` header);
 * - at consume: a worker that receives such a message (sent by a client that did not park it, e.g.
 *   Python Celery) hands it back with {@link EtaParkingChannel.parkDelivery}, which parks it and
 *   settles the delivery — atomically, or park first, then settle, so a crash between the two gives
 *   a duplicate at worst, never a loss.
 *
 * Transport options (Celery `broker_transport_options`), read by {@link resolveEtaParking}:
 * - `store_eta` (default true): park far ETAs on the broker; false keeps Celery's behaviour.
 * - `eta_horizon` (seconds, default 60): a message due within this is delivered (and held by the
 *   worker, as Celery does); later ones are parked. Capped at half the `visibility_timeout`, so a
 *   message held by a worker is never held past it.
 */
import { ConfigurationError } from '../errors.js';
import { parseIsoDate } from '../serialization/isodate.js';
import type { Channel } from './types.js';

/** Default `eta_horizon`, seconds. */
export const DEFAULT_ETA_HORIZON = 60;

/**
 * Capability of a channel whose broker keeps messages parked until their ETA (Redis, SQLite). Check
 * it with {@link isEtaParkingChannel}.
 */
export interface EtaParkingChannel {
  /**
   * Seconds: a task due further ahead than this should be parked (the effective `eta_horizon`);
   * null when parking is off (`store_eta: false`).
   */
  readonly etaHorizon: number | null;
  /**
   * Parks the delivered, unacknowledged message `deliveryTag` until `dueAt` (ms since the epoch) and
   * settles the delivery, as an ack would. Idempotent per message: parking it again (after a
   * redelivery) keeps one copy. Resolves false when the tag is not an unacked delivery of this
   * channel (nothing done); rejects with the transport's kombu error when the broker fails, in which
   * case the delivery is still unacked.
   */
  parkDelivery(deliveryTag: string, dueAt: number): Promise<boolean>;
}

/** True when `channel` can park deliveries ({@link EtaParkingChannel}). */
export function isEtaParkingChannel<T extends object = Channel>(channel: T): channel is T & EtaParkingChannel {
  return typeof (channel as Partial<EtaParkingChannel>).parkDelivery === 'function' && 'etaHorizon' in channel;
}

/** A transport's parking settings, resolved from its options. */
export interface EtaParking {
  /**
   * Effective horizon in seconds (`eta_horizon`, capped at half the visibility timeout); null when
   * `store_eta` is false. What {@link EtaParkingChannel.etaHorizon} reports.
   */
  horizon: number | null;
}

/**
 * Reads `store_eta` and `eta_horizon` (see the file header) from `options`.
 * @param visibilityTimeout the transport's `visibility_timeout`, seconds.
 * @throws ConfigurationError naming `transport` when an option has the wrong type or range.
 */
export function resolveEtaParking(transport: string, options: Record<string, unknown>, visibilityTimeout: number): EtaParking {
  const raw = options['store_eta'] ?? true;
  if (typeof raw !== 'boolean' && raw !== 'true' && raw !== 'false') {
    throw new ConfigurationError(`${transport} transport option store_eta must be true or false, got ${JSON.stringify(raw)}`);
  }
  const value = options['eta_horizon'] ?? DEFAULT_ETA_HORIZON;
  const horizon = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof horizon !== 'number' || !Number.isFinite(horizon) || horizon < 0) {
    throw new ConfigurationError(`${transport} transport option eta_horizon must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
  }
  return { horizon: raw === true || raw === 'true' ? Math.min(horizon, visibilityTimeout / 2) : null };
}

/**
 * When a message is due, from its task `eta` header (ms since the epoch); null without one, or when
 * it does not parse (the worker reports a bad eta; the broker delivers it at once).
 */
export function etaOf(headers: Record<string, unknown> | undefined): number | null {
  const eta = headers?.['eta'];
  if (typeof eta !== 'string' || eta === '') return null;
  try {
    return parseIsoDate(eta).getTime();
  } catch {
    return null;
  }
}

/** The due time (ms) of a message to park at publish under `parking`, or null to deliver it now. */
export function parkUntil(parking: EtaParking, headers: Record<string, unknown> | undefined, now = Date.now()): number | null {
  if (parking.horizon === null) return null;
  const due = etaOf(headers);
  return due !== null && due - now > parking.horizon * 1000 ? due : null;
}
