/**
 * The `messages` collection as cq uses it: kombu's documents (`documents.ts`), taken with a lease
 * instead of kombu's `find_one_and_delete`, so a message is deleted only when acked.
 *
 * A take moves the document's `queue` into `lease: {queue, owner, token, at}` (`at` is the server's
 * `$$NOW`): the message stays stored but no consumer — cq's or Python kombu's, which both look for
 * `{queue: q}` — can take it again. Ack deletes it; reject-with-requeue and a closing channel put
 * `queue` back (payload marked redelivered, as kombu's restore does). The owning transport renews
 * `lease.at` of all its leases every third of `visibility_timeout`; a sweep (any process) puts back
 * leases not renewed for `visibility_timeout`, which is what happens to a consumer that was killed.
 * Every condition names the lease's token, so a consumer whose lease was swept and taken by
 * another never acks or restores the other's.
 */
import { randomUUID } from 'node:crypto';
import type { Envelope } from '@cq/kombu';
import { markRedelivered } from '@cq/kombu';
import type { Collection, Document, ObjectId } from 'mongodb';
import { envelopeOf, messageDocument, type MessageDocument } from './documents.js';

/** A message taken under a lease. */
export interface LeasedMessage {
  id: ObjectId;
  token: string;
  envelope: Envelope;
}

/** Sort of a take: kombu's `priority` ascending (highest priority first), then insertion order. */
const TAKE_ORDER = { priority: 1, _id: 1 } as const;
/** Pipeline stages putting a leased message back in its queue, marked redelivered. */
const PUT_BACK: Document[] = [{ $set: { queue: '$lease.queue', redelivered: true } }, { $unset: 'lease' }];

export class MessageStore {
  /**
   * @param messages the `messages` collection.
   * @param owner this transport's id, stamped on its leases.
   * @param visibilityMs how long a lease lives without renewal.
   */
  constructor(private readonly messages: Collection<MessageDocument>, readonly owner: string, private readonly visibilityMs: number) {}

  /** kombu `_put`. `expireAt` only with the `ttl` option. */
  async put(queue: string, envelope: Envelope, expireAt?: Date | null): Promise<void> {
    await this.messages.insertOne(messageDocument(queue, envelope, expireAt));
  }

  /**
   * Leases up to `max` messages of `queue`, highest priority first, then oldest first. One
   * `findOneAndUpdate` for one message; for more, the candidates are read, leased together under one
   * token (only those still in the queue), and read back.
   */
  async take(queue: string, max: number): Promise<LeasedMessage[]> {
    if (max <= 0) return [];
    const token = randomUUID();
    const lease: Document[] = [{ $set: { lease: { queue: '$queue', owner: this.owner, token, at: '$$NOW' } } }, { $unset: 'queue' }];
    if (max === 1) {
      const doc = await this.messages.findOneAndUpdate({ queue }, lease, { sort: TAKE_ORDER, returnDocument: 'after' });
      return doc ? [{ id: doc._id, token, envelope: envelopeOf(doc) }] : [];
    }
    const candidates = await this.messages.find({ queue }, { projection: { _id: 1 }, sort: TAKE_ORDER, limit: max }).toArray();
    if (candidates.length === 0) return [];
    const ids = candidates.map((c) => c._id);
    const { modifiedCount } = await this.messages.updateMany({ _id: { $in: ids }, queue }, lease);
    if (modifiedCount === 0) return [];
    const docs = await this.messages.find({ _id: { $in: ids }, 'lease.token': token }, { sort: TAKE_ORDER }).toArray();
    return docs.map((doc) => ({ id: doc._id, token, envelope: envelopeOf(doc) }));
  }

  /** Deletes a message this lease still holds (ack, or reject without requeue). */
  async ack(id: ObjectId, token: string): Promise<void> {
    await this.messages.deleteOne({ _id: id, 'lease.token': token });
  }

  /** Puts a message this lease still holds back in its queue, its payload marked redelivered (kombu's restore). */
  async restore(id: ObjectId, token: string, envelope: Envelope): Promise<void> {
    const payload = JSON.stringify(markRedelivered(envelope));
    await this.messages.updateOne({ _id: id, 'lease.token': token }, [
      { $set: { queue: '$lease.queue', redelivered: true, payload: { $literal: payload } } }, { $unset: 'lease' },
    ]);
  }

  /** Keeps this owner's leases alive (server time). */
  async renew(): Promise<void> {
    await this.messages.updateMany({ 'lease.owner': this.owner }, { $currentDate: { 'lease.at': true } });
  }

  /** Puts back every lease of this owner (the transport closing). Resolves with how many. */
  async releaseOwned(): Promise<number> {
    return (await this.messages.updateMany({ 'lease.owner': this.owner }, PUT_BACK)).modifiedCount;
  }

  /** Puts back every lease, of any owner, not renewed for `visibility_timeout`. Resolves with how many. */
  async sweep(): Promise<number> {
    const expired = { 'lease.at': { $exists: true }, $expr: { $lt: ['$lease.at', { $subtract: ['$$NOW', this.visibilityMs] }] } };
    return (await this.messages.updateMany(expired, PUT_BACK)).modifiedCount;
  }

  /** kombu `_size`: messages ready in `queue` (leased ones are not). */
  size(queue: string): Promise<number> {
    return this.messages.countDocuments({ queue });
  }

  /** kombu `_purge`: deletes the ready messages of `queue`; resolves with how many. */
  async purge(queue: string): Promise<number> {
    return (await this.messages.deleteMany({ queue })).deletedCount;
  }

  /** Deletes every message of `queue`, leased ones too (queue delete). */
  async deleteQueue(queue: string): Promise<void> {
    await this.messages.deleteMany({ $or: [{ queue }, { 'lease.queue': queue }] });
  }
}
