/**
 * Exchanges and bindings as kombu's MongoDB transport keeps them: exchange types in this process
 * (kombu's `state`), bindings both here and in the `messages.routing` collection, so a publish to an
 * exchange reaches the queues any process bound to it (kombu `get_table`: local routes ∪ the
 * collection's). Binding documents are kombu's (`documents.ts` `routingDocument`), topic patterns
 * included, so Python routes through cq's bindings and cq through Python's.
 *
 * Unlike kombu, deleting an exchange also deletes its binding documents (kombu leaves them; its own
 * lookup then fails on the unknown exchange and routes nowhere, which is what cq gets this way).
 */
import {
  MemoryExchangeStore, type BindingDeclaration, type ExchangeDeclaration, type ExchangeStore, type ExchangeType, type StoredBinding,
} from '@cq/kombu';
import type { Collection } from 'mongodb';
import { routingDocument, type RoutingDocument } from './documents.js';
import { toTransportError } from './errors.js';

/** Where the store reads and writes its binding documents, set when the transport connects. */
export interface RoutingTarget {
  routing: Collection<RoutingDocument>;
  /** With the `ttl` option: the binding document's `expire_at` for `queue` (its `x-expires`); else undefined. */
  expireAt(queue: string): Promise<Date | null | undefined>;
  /** `hosts/database`, for error messages. */
  where: string;
}

/** An {@link ExchangeStore} over this process's declarations and the shared routing collection. */
export class MongoExchangeStore implements ExchangeStore {
  private readonly local = new MemoryExchangeStore();
  private target: RoutingTarget | null = null;

  /** Uses `target` from now on (the transport's connect); null on close. */
  attach(target: RoutingTarget | null): void {
    this.target = target;
  }

  declareExchange(exchange: ExchangeDeclaration): void {
    this.local.declareExchange(exchange);
  }

  exchangeType(name: string): ExchangeType | undefined {
    return this.local.exchangeType(name);
  }

  /** kombu `_queue_bind`: an upsert of the binding document (its lookup fields), here and in the collection. */
  async bind(binding: BindingDeclaration): Promise<void> {
    this.local.bind(binding);
    await this.use('binding a queue', async (target) => {
      const doc = routingDocument(binding, this.local.exchangeType(binding.exchange), await target.expireAt(binding.queue));
      const { exchange, queue, routing_key, pattern } = doc;
      await target.routing.updateOne({ exchange, queue, routing_key, pattern }, { $set: doc }, { upsert: true });
    });
  }

  /** kombu `get_table`: this process's bindings and every stored one, without repeats. */
  async bindings(exchange: string): Promise<StoredBinding[]> {
    const out = [...this.local.bindings(exchange)];
    const docs = await this.use('reading bindings', (target) =>
      target.routing.find({ exchange }, { projection: { _id: 0, queue: 1, routing_key: 1 } }).toArray());
    for (const doc of docs ?? []) {
      if (!out.some((b) => b.queue === doc.queue && b.routingKey === doc.routing_key)) out.push({ queue: doc.queue, routingKey: doc.routing_key });
    }
    return out;
  }

  /** kombu `queue_delete`: the queue's bindings go, here and in the collection. */
  async unbindQueue(queue: string): Promise<void> {
    this.local.unbindQueue(queue);
    await this.use('unbinding a queue', (target) => target.routing.deleteMany({ queue }));
  }

  async deleteExchange(name: string): Promise<void> {
    this.local.deleteExchange(name);
    await this.use('deleting an exchange', (target) => target.routing.deleteMany({ exchange: name }));
  }

  /** Runs `op` on the collection when attached (undefined otherwise), mapping driver failures to kombu errors. */
  private async use<T>(action: string, op: (target: RoutingTarget) => Promise<T>): Promise<T | undefined> {
    const target = this.target;
    if (!target) return undefined;
    try {
      return await op(target);
    } catch (err) {
      throw toTransportError(err, action, target.where);
    }
  }
}
