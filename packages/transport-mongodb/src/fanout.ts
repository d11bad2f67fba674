/**
 * Fanout exchanges as kombu's MongoDB transport does them: a publish is one document in the capped
 * `messages.broadcast` collection (`{payload, queue: <exchange>}`), and every queue bound to the
 * exchange in some process reads the collection with a tailable cursor of its own, starting after
 * what was there when it was bound (kombu `BroadcastCursor`). Nothing is stored per queue, so a dead
 * worker's pidbox queue cannot fill up; as with kombu, a broadcast is not acked, and one published
 * before the binding, or pushed out of the capped collection before it was read, is not delivered.
 *
 * Where kombu skips by a count (which goes wrong once the capped collection starts dropping old
 * documents), a reader here remembers the last document it read: a cursor that died (no document
 * matched yet, or the server lost its place) is reopened and skips up to that document, or reads
 * everything when it was already pushed out (then everything left is newer).
 */
import type { Envelope } from '@cq/kombu';
import type { Collection, FindCursor, ObjectId, WithId } from 'mongodb';
import { envelopeOf, type BroadcastDocument } from './documents.js';

/** Broadcasts kept for a queue whose consumer gave them back (reject with requeue, channel close). */
const MAX_RETURNED = 10_000;

/** The broadcasts of one fanout exchange, as one bound queue of this process reads them. */
export class BroadcastReader {
  private cursor: FindCursor<WithId<BroadcastDocument>> | null = null;
  private last: ObjectId | null = null;
  private readonly returned: Envelope[] = [];
  /** Read while reopening, not yet taken. */
  private readonly pending: WithId<BroadcastDocument>[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly broadcast: Collection<BroadcastDocument>, readonly exchange: string) {}

  /** Moves past every broadcast already stored (called when the queue is bound). */
  start(): Promise<void> {
    return this.serial(async () => {
      this.reset();
      while (await this.next()) { /* skip what was published before the binding */ }
    });
  }

  /** Takes up to `max` broadcasts: given-back ones first, then new ones in publish order. */
  take(max: number): Promise<Envelope[]> {
    return this.serial(async () => {
      const out = this.returned.splice(0, max);
      while (out.length < max) {
        const doc = await this.next();
        if (!doc) break;
        out.push(envelopeOf(doc));
      }
      return out;
    });
  }

  /** Gives a taken broadcast back; it is taken again first. */
  putBack(envelope: Envelope): void {
    this.returned.unshift(envelope);
    if (this.returned.length > MAX_RETURNED) this.returned.pop();
  }

  /** Broadcasts given back and not taken again (new ones are not counted: kombu counts them, at a query each). */
  get size(): number {
    return this.returned.length;
  }

  /** Drops given-back broadcasts and moves past every stored one; resolves with how many were dropped. */
  purge(): Promise<number> {
    return this.serial(async () => {
      let n = this.returned.splice(0).length + this.pending.splice(0).length;
      while (await this.next()) n++;
      return n;
    });
  }

  /** Closes the cursor. */
  close(): Promise<void> {
    return this.serial(async () => {
      const cursor = this.cursor;
      this.cursor = null;
      await cursor?.close().catch(() => undefined);
    });
  }

  /** The next broadcast after the last one read, or null for now. */
  private async next(): Promise<WithId<BroadcastDocument> | null> {
    let doc: WithId<BroadcastDocument> | null;
    try {
      if (!this.cursor) await this.open();
      doc = this.pending.shift() ?? (await this.cursor!.tryNext());
    } catch (err) {
      this.reset(); // the cursor died (position lost, killed): reopened next time
      if (isCursorGone(err)) return null;
      throw err;
    }
    if (doc) this.last = doc._id;
    else if (this.cursor?.closed) this.reset(); // dead (nothing matched when opened): reopened next time
    return doc;
  }

  /**
   * Opens a tailable cursor; when reopening, skips up to the last broadcast read. Should that one be
   * gone from the capped collection meanwhile, every document read while skipping is newer: kept.
   */
  private async open(): Promise<void> {
    const cursor = this.broadcast.find({ queue: this.exchange }, { tailable: true, awaitData: false });
    this.cursor = cursor;
    const last = this.last;
    if (last === null) return;
    const skipped: WithId<BroadcastDocument>[] = [];
    for (let doc = await cursor.tryNext(); doc; doc = await cursor.tryNext()) {
      if (doc._id.equals(last)) return;
      skipped.push(doc);
    }
    this.pending.push(...skipped);
  }

  private reset(): void {
    const cursor = this.cursor;
    this.cursor = null;
    void cursor?.close().catch(() => undefined);
  }

  /** Runs `op` after the reader's previous operation (a cursor takes one call at a time). */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Server errors of a tailable cursor that died: cursor not found (43), capped position lost (136), query killed (175, 237). */
function isCursorGone(err: unknown): boolean {
  const code = Number((err as { code?: unknown } | null)?.code);
  return code === 43 || code === 136 || code === 175 || code === 237 || (err as Error | null)?.name === 'MongoCursorExhaustedError';
}
