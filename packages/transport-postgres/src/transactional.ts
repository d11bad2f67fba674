/**
 * Enqueueing inside the caller's own transaction: the capability a PostgreSQL channel offers beyond
 * AMQP. The message rows are inserted, and the consumers notified, through the caller's `pg` client,
 * so they commit or roll back with the caller's own writes. PostgreSQL delivers a `NOTIFY` issued
 * inside a transaction only when it commits (and never when it rolls back), so workers wake exactly
 * when the task becomes visible.
 *
 * ```ts
 * const client = await pool.connect();
 * await client.query('BEGIN');
 * await client.query('INSERT INTO orders (id) VALUES ($1)', [id]);
 * if (isTransactionalPublisher(channel)) await channel.publishIn(client, message, 'celery', 'celery');
 * await client.query('COMMIT'); // the task row and the order commit together; the worker wakes now
 * ```
 */
import type { RawMessage } from '@cq/kombu';

/** What the transport needs of a caller's client: `pg`'s `Client`, `PoolClient` and `Pool` all fit. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** A channel (or transport) that can publish through a caller's `pg` client. */
export interface TransactionalPublisher {
  /**
   * Routes `message` through `exchange` with `routingKey` as `publish` does, but writes through
   * `client`: inside the caller's transaction when one is open there (nothing is visible to consumers
   * before it commits; a rollback leaves nothing), in one autocommitted statement otherwise. Fanout
   * exchanges broadcast with `pg_notify` on `client`, so a broadcast is sent only on commit too.
   * Rejects with the transport's kombu errors; a failed statement aborts the caller's transaction, as
   * any failed statement does in PostgreSQL.
   */
  publishIn(client: Queryable, message: RawMessage, exchange: string, routingKey: string): Promise<void>;
}

/** True when `target` offers {@link TransactionalPublisher.publishIn} (PostgreSQL channels and transports). */
export function isTransactionalPublisher<T extends object>(target: T): target is T & TransactionalPublisher {
  return typeof (target as Partial<TransactionalPublisher>).publishIn === 'function';
}
