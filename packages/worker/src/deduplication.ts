/**
 * The worker's part of enqueue-time deduplication (cq, beyond Celery; the model is in @cq/app
 * `deduplication.ts`). Only messages with the `cq_deduplication` header are concerned; for the others
 * each hook is one property read.
 *
 * - `debounce`: when a message comes due, before it is handed to the pool, {@link debounceGate}
 *   releases the key with the message's stamp. When a newer call superseded the message (the key names
 *   the same task with another stamp), the message is acked and dropped: the newer message, due later,
 *   runs instead. Otherwise it runs, and calls from now on start a new task.
 * - `simple`: when the task is ready — SUCCESS, FAILURE, IGNORED, REVOKED (also expired or revoked
 *   before it ran), or REJECTED without requeue — {@link releaseWhenReady} releases the key, so the next
 *   call sends a new task. A retry (same task id) or a requeue keeps it.
 * - `throttle`: nothing (the key expires on its own).
 *
 * A store that fails is logged: a debounced message then runs (at least once), a simple key lives out
 * its safety TTL (`task_deduplication_safety_ttl`).
 */
import { deduplicationKey, readDeduplicationHeader, type Celery, type Logger } from '@cq/app';
import type { Message } from '@cq/kombu';
import type { Outcome } from './request.js';

/** What the hooks read of a request: its message and its task's name and id. */
export interface DeduplicatedRequest {
  message: Message;
  fields: { name: string; id: string };
}

/**
 * True when `request` is a debounced message that a newer call superseded: the caller acks and drops
 * it. False to run it (after releasing the key, when this message holds it). Never throws.
 */
export async function debounceGate(app: Celery, request: DeduplicatedRequest, log: Logger): Promise<boolean> {
  const header = readDeduplicationHeader(request.message.headers);
  if (header?.mode !== 'debounce') return false;
  const { name, id } = request.fields;
  try {
    const outcome = await (await app.deduplicator()).release(deduplicationKey(name, header.id), id, header.stamp);
    if (outcome !== 'superseded') return false;
  } catch (err) {
    log.warn(`Task ${name}[${id}]: could not check its debounce key ${JSON.stringify(header.id)} (${errText(err)}); running it`);
    return false;
  }
  log.info(`Discarding debounced task ${name}[${id}]: a later call replaced it`);
  await request.message.ack().catch(() => undefined);
  return true;
}

/** Outcomes after which a simple-mode task is done with (a requeued REJECTED is not). */
const READY: ReadonlySet<Outcome> = new Set(['SUCCESS', 'FAILURE', 'IGNORED', 'REVOKED', 'REJECTED']);

/**
 * Releases the simple-mode key of `request` when `outcome` leaves the task ready (see the module doc).
 * Resolves once done; never rejects (a failure is logged).
 */
export async function releaseWhenReady(app: Celery, request: DeduplicatedRequest, outcome: Outcome, log: Logger): Promise<void> {
  const header = readDeduplicationHeader(request.message.headers);
  if (header?.mode !== 'simple' || !READY.has(outcome) || request.message.state === 'REQUEUED') return;
  const { name, id } = request.fields;
  try {
    await (await app.deduplicator()).release(deduplicationKey(name, header.id), id);
  } catch (err) {
    log.warn(`Task ${name}[${id}]: could not release its deduplication key ${JSON.stringify(header.id)} (${errText(err)}); it expires by itself`);
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
