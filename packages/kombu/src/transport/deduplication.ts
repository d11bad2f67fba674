/**
 * Enqueue-time deduplication (cq, beyond Celery and kombu; BullMQ's `deduplication` option, Celery's
 * third-party `celery-once`): the store behind `applyAsync(args, { deduplicationId })`. @cq/app decides
 * what a claim means (simple, throttle, debounce); a store only keeps one record per key, atomically:
 *
 * ```
 * key ──▶ { taskId, stamp }  expiring after ttlMs (the store's clock: Redis PX, PostgreSQL now(); SQLite the caller's)
 * ```
 *
 * - `taskId` is the task the key was claimed for: every duplicate call returns its AsyncResult.
 * - `stamp` names the message sent last for that task: a debounced call sends a newer message for the
 *   same task id and moves the stamp, so workers drop the older messages (see @cq/worker).
 *
 * A transport (Redis, SQLite, PostgreSQL, memory) or a result backend (Redis) that can keep these
 * records offers a {@link DeduplicatorProvider}; check it with {@link isDeduplicatorProvider}.
 */

/** What a deduplication key holds. */
export interface DeduplicationRecord {
  /** The task the key was claimed for. */
  taskId: string;
  /** The last message sent for it (a random token per publish). */
  stamp: string;
}

/**
 * How {@link Deduplicator.release} went: `released` (the record was the caller's and is gone),
 * `superseded` (the key holds the caller's task with another stamp: a newer message replaced it;
 * nothing changed), `absent` (no live record, or another task's; nothing changed).
 */
export type ReleaseOutcome = 'released' | 'superseded' | 'absent';

/**
 * A store of deduplication records. Every method is one atomic step in the store, so concurrent
 * callers in any number of processes agree. Rejects with the store's kombu errors (`TransportError`,
 * recoverable `ConnectionError`) when it fails.
 */
export interface Deduplicator {
  /**
   * Claims `key` for `record` for `ttlMs` ms (at least 1) when no live record holds it, and resolves
   * null: the caller is the first and sends its task. Otherwise resolves the record that holds the key.
   * With `supersede` (debounce), a held key first takes `record.stamp` and a fresh `ttlMs`, keeping
   * its task id; the record resolved is the updated one.
   */
  claim(key: string, record: DeduplicationRecord, ttlMs: number, supersede: boolean): Promise<DeduplicationRecord | null>;
  /**
   * Deletes `key` when it holds `taskId` and, if `stamp` is given, that stamp: what the worker does
   * when a task finishes (simple mode) or starts (debounce), and the sender after a failed publish.
   */
  release(key: string, taskId: string, stamp?: string): Promise<ReleaseOutcome>;
  /** The live record of `key`, or null (BullMQ `getDeduplicationJobId`). */
  get(key: string): Promise<DeduplicationRecord | null>;
  /** Deletes `key` whoever holds it; true when a live record was deleted (BullMQ `removeDeduplicationKey`). */
  remove(key: string): Promise<boolean>;
}

/** Capability of a transport or result backend that keeps deduplication records in its store. */
export interface DeduplicatorProvider {
  /**
   * The deduplicator of this store. Using it needs the transport connected (a backend connects by
   * itself); it never closes the store's connections.
   */
  deduplicator(): Deduplicator;
}

/** True when `target` offers {@link DeduplicatorProvider.deduplicator}. */
export function isDeduplicatorProvider<T extends object>(target: T): target is T & DeduplicatorProvider {
  return typeof (target as Partial<DeduplicatorProvider>).deduplicator === 'function';
}

/** Prefix of deduplication keys in key-value stores (Redis): `_cq.dedup.<key>`, behind the store's own key prefix. */
export const DEDUPLICATION_KEY_PREFIX = '_cq.dedup.';
