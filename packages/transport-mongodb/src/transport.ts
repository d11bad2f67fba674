/**
 * The MongoDB transport: a kombu virtual transport over kombu's MongoDB collections
 * (`kombu/transport/mongodb.py`), so Python kombu/Celery and cq share queues on one database.
 *
 * Layout (documents in `documents.ts`): `messages` (one document per message: `payload`, `queue`,
 * `priority` as 9 − p), `messages.routing` (bindings, read by every process that publishes),
 * `messages.broadcast` (capped: fanout publishes, read with tailable cursors, `fanout.ts`) and, with
 * the `ttl` option, `messages.queues` (declarations, for `x-expires`/`x-message-ttl`), with kombu's
 * indexes; cq adds two sparse indexes for its leases.
 *
 * Delivery: kombu takes a message with `find_one_and_delete`, so a consumer that dies before it has
 * processed a message loses it (at most once, `acks_late` or not). cq takes under a lease instead
 * (`message-store.ts`): the message is deleted on ack, put back on reject/requeue or when the channel
 * closes, and, when its consumer's process is gone, put back by any process's sweep once the lease
 * has not been renewed for `visibility_timeout` (default 30 s); a live consumer renews its leases, so
 * long tasks are not delivered twice. Python consumers on the same queue still take at most once,
 * and never take a message a cq consumer holds.
 *
 * Priorities 0..9, higher first (kombu's), FIFO within a priority. Polls an idle queue with a backoff
 * up to `polling_interval` (default 0.1 s; kombu's is 1 s); a publish in this process wakes its
 * consumers at once.
 *
 * Options ({@link MongoTransportOptions}, kombu's names): `ttl`, `capped_queue_size`,
 * `calc_queue_size`, `default_hostname`, `default_port`, `default_database`, `connect_timeout`,
 * `ssl`, `messages_collection`, `routing_collection`, `broadcast_collection`, `queues_collection`,
 * `polling_interval`; cq's `visibility_timeout`, `fetch_batch_size`.
 *
 * Errors (`errors.ts`): the constructor throws `MongoOptionError` for a bad URL or option; driver
 * failures become kombu's `ConnectionError` (recoverable), `ConfigurationError` (authentication) or
 * `MongoCommandError`.
 */
import { randomUUID } from 'node:crypto';
import {
  OperationalError, VirtualChannel, VirtualTransport, redact, toEnvelope, type BindingDeclaration, type BrokerUrl, type Envelope,
  type QueueDeclaration, type RawMessage, type TakenMessage, type TransportCapabilities, type TransportDefinition,
} from '@cq/kombu';
import { MongoClient, type Collection, type Db, type ObjectId } from 'mongodb';
import {
  argumentExpiry, broadcastDocument, messageExpiry, queueDocument, type BroadcastDocument, type MessageDocument, type QueueDocument,
  type RoutingDocument,
} from './documents.js';
import { MongoOptionError, toTransportError } from './errors.js';
import { MongoExchangeStore } from './exchange-store.js';
import { BroadcastReader } from './fanout.js';
import { MessageStore } from './message-store.js';
import { resolveOptions, type MongoTransportOptions, type ResolvedMongoOptions } from './options.js';

/** Receipt of a broadcast: nothing to ack in the database. */
const BROADCAST = Symbol('broadcast');

interface LeaseReceipt {
  id: ObjectId;
  token: string;
}

/** A channel whose hooks are operations on the transport's collections. */
export class MongoChannel extends VirtualChannel {
  declare protected readonly transport: MongoTransport;

  /** Fanout exchanges publish to the broadcast collection (kombu `_put_fanout`); others route to queues. */
  override async publish(message: RawMessage, exchange: string, routingKey: string): Promise<void> {
    if (exchange === '' || this.transport.exchangeStore.exchangeType(exchange) !== 'fanout') return super.publish(message, exchange, routingKey);
    if (!this.isOpen) throw new OperationalError('channel is closed: open a new one with connection.channel()');
    const doc = broadcastDocument(exchange, toEnvelope(message, exchange, routingKey));
    await this.transport.run('publishing to a fanout exchange', (t) => t.broadcast.insertOne(doc));
    for (const queue of this.transport.fanoutQueues(exchange)) this.transport.notify(queue);
  }

  /** Binds as the base does; a queue bound to a fanout exchange starts reading its broadcasts from now on. */
  override async bindQueue(binding: BindingDeclaration): Promise<void> {
    await super.bindQueue(binding);
    if (this.transport.exchangeStore.exchangeType(binding.exchange) === 'fanout') {
      await this.transport.run('binding to a fanout exchange', (t) => t.readerFor(binding.queue, binding.exchange).start());
    }
  }

  override async deleteExchange(name: string): Promise<void> {
    await super.deleteExchange(name);
    await this.transport.dropReaders((reader) => reader.exchange === name);
  }

  /** kombu `_new_queue`: with `ttl`, the queue's declaration is stored (`messages.queues`). */
  protected override async _newQueue(queue: QueueDeclaration): Promise<void> {
    const t = this.transport;
    t.declared.set(queue.name, queue.arguments);
    if (!t.settings.ttl) return;
    const { _id, ...doc } = queueDocument(queue, new Date());
    await t.run('declaring a queue', (tr) => tr.queues.updateOne({ _id }, { $set: doc }, { upsert: true }));
  }

  protected async _put(queue: string, envelope: Envelope): Promise<void> {
    const t = this.transport;
    await t.run('publishing', async (tr) => {
      const expireAt = tr.settings.ttl ? messageExpiry(await tr.queueArguments(queue), envelope, new Date()) : undefined;
      await tr.store.put(queue, envelope, expireAt);
    });
  }

  /** Leased messages of the queue first, then broadcasts when the queue is bound to a fanout exchange. */
  protected async _get(queue: string, max: number): Promise<TakenMessage[]> {
    const t = this.transport;
    const leased = await t.run('taking messages', (tr) => tr.store.take(queue, max));
    const out: TakenMessage[] = leased.map((m) => ({ envelope: m.envelope, receipt: { id: m.id, token: m.token } satisfies LeaseReceipt }));
    const reader = t.reader(queue);
    if (reader && out.length < max) {
      for (const envelope of await t.run('reading broadcasts', () => reader.take(max - out.length))) out.push({ envelope, receipt: BROADCAST });
    }
    if (t.settings.ttl) await t.run('renewing the queue expiry', (tr) => tr.touchQueue(queue));
    return out;
  }

  protected override _ack(_queue: string, taken: TakenMessage): Promise<void> | void {
    if (taken.receipt === BROADCAST) return;
    const { id, token } = taken.receipt as LeaseReceipt;
    return this.transport.run('acking', (t) => t.store.ack(id, token));
  }

  protected override async _restore(queue: string, taken: TakenMessage): Promise<void> {
    if (taken.receipt === BROADCAST) return this.transport.reader(queue)?.putBack(taken.envelope);
    const { id, token } = taken.receipt as LeaseReceipt;
    await this.transport.run('restoring a message', (t) => t.store.restore(id, token, taken.envelope));
  }

  protected async _purge(queue: string): Promise<number> {
    const t = this.transport;
    const stored = await t.run('purging', (tr) => tr.store.purge(queue));
    const reader = t.reader(queue);
    return stored + (reader ? await t.run('purging broadcasts', () => reader.purge()) : 0);
  }

  /** Ready messages (`calc_queue_size: false`: 0, as kombu), plus broadcasts given back. */
  protected async _size(queue: string): Promise<number> {
    const t = this.transport;
    if (!t.settings.calcQueueSize) return 0;
    return (await t.run('counting messages', (tr) => tr.store.size(queue))) + (t.reader(queue)?.size ?? 0);
  }

  /** kombu `queue_delete`: its messages (leased ones too), its declaration, its broadcast cursor. */
  protected override async _delete(queue: string): Promise<void> {
    const t = this.transport;
    t.declared.delete(queue);
    await t.run('deleting a queue', async (tr) => {
      await tr.store.deleteQueue(queue);
      if (tr.settings.ttl) await tr.queues.deleteOne({ _id: queue });
    });
    await t.dropReaders((_reader, q) => q === queue);
  }
}

/** One MongoClient (a connection pool) per transport, shared by its channels. */
export class MongoTransport extends VirtualTransport<MongoChannel> {
  readonly driverType = 'mongodb';
  readonly capabilities: TransportCapabilities = { priorityOrder: 'higher-first', persistent: true, redeliversUnacked: true, fanout: true };
  declare readonly exchangeStore: MongoExchangeStore;
  /** URL and options as resolved (collections, timings in seconds). */
  readonly settings: ResolvedMongoOptions;
  /** This transport's id on its leases. */
  readonly owner = randomUUID();
  /** Arguments of the queues declared through this transport. */
  readonly declared = new Map<string, Record<string, unknown>>();
  private client: MongoClient | null = null;
  private db: Db | null = null;
  private messages: MessageStore | null = null;
  private readonly readers = new Map<string, BroadcastReader>();
  private readonly touched = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private maintaining: Promise<void> | null = null;

  /**
   * @param url the parsed broker URL (`mongodb://` or `mongodb+srv://`).
   * @throws MongoOptionError for a bad URL or option (also when the driver refuses the URL's query).
   */
  constructor(readonly url: BrokerUrl, options: MongoTransportOptions = {}) {
    super({ ...options, polling_interval: options.polling_interval ?? 0.1 });
    this.settings = resolveOptions(url, options);
    try {
      new MongoClient(this.settings.connectionString, this.settings.clientOptions); // parses and checks; connects nothing
    } catch (err) {
      throw new MongoOptionError(`the mongodb driver refused ${JSON.stringify(redact(url.href))}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** `hosts/database`, for messages (never the password). */
  get where(): string {
    return this.settings.where;
  }

  /** The message store; throws kombu's OperationalError when not connected. */
  get store(): MessageStore {
    if (!this.messages) throw new OperationalError('the mongodb transport is not connected: call connection.connect() first');
    return this.messages;
  }

  /** The database; throws kombu's OperationalError when not connected. */
  get database(): Db {
    if (!this.db) throw new OperationalError('the mongodb transport is not connected: call connection.connect() first');
    return this.db;
  }

  get broadcast(): Collection<BroadcastDocument> {
    return this.database.collection<BroadcastDocument>(this.settings.collections.broadcast);
  }

  get queues(): Collection<QueueDocument> {
    return this.database.collection<QueueDocument>(this.settings.collections.queues);
  }

  get routing(): Collection<RoutingDocument> {
    return this.database.collection<RoutingDocument>(this.settings.collections.routing);
  }

  /** Runs a store operation, mapping driver failures to kombu errors (see `errors.ts`). */
  async run<T>(action: string, op: (transport: this) => Promise<T>): Promise<T> {
    try {
      return await op(this);
    } catch (err) {
      throw toTransportError(err, action, this.where);
    }
  }

  /** The broadcast reader of `queue` (bound to a fanout exchange in this process), if any. */
  reader(queue: string): BroadcastReader | undefined {
    return this.readers.get(queue);
  }

  /** The reader of `queue` for `exchange`, created (or replaced, when it read another exchange) as needed. */
  readerFor(queue: string, exchange: string): BroadcastReader {
    const current = this.readers.get(queue);
    if (current?.exchange === exchange) return current;
    void current?.close();
    const reader = new BroadcastReader(this.broadcast, exchange);
    this.readers.set(queue, reader);
    return reader;
  }

  /** Queues of this process bound to fanout exchange `exchange`. */
  fanoutQueues(exchange: string): string[] {
    return [...this.readers].filter(([, r]) => r.exchange === exchange).map(([q]) => q);
  }

  /** Closes and forgets the readers `which` selects. */
  async dropReaders(which: (reader: BroadcastReader, queue: string) => boolean): Promise<void> {
    for (const [queue, reader] of [...this.readers]) {
      if (!which(reader, queue)) continue;
      this.readers.delete(queue);
      await reader.close();
    }
  }

  /** A queue's declared arguments: declared here, else its `messages.queues` document (kombu reads it each time). */
  async queueArguments(queue: string): Promise<Record<string, unknown> | null> {
    const local = this.declared.get(queue);
    if (local) return local;
    const doc = await this.queues.findOne({ _id: queue });
    return doc?.options?.arguments ?? null;
  }

  /** kombu `_update_queues_expire` (with `ttl`): pushes the queue's `x-expires` forward on use, at most once a second. */
  async touchQueue(queue: string): Promise<void> {
    const now = Date.now();
    if (now - (this.touched.get(queue) ?? 0) < 1000) return;
    this.touched.set(queue, now);
    const expireAt = argumentExpiry(await this.queueArguments(queue), 'x-expires', new Date(now));
    if (!expireAt) return;
    await this.routing.updateMany({ queue }, { $set: { expire_at: expireAt } });
    await this.queues.updateMany({ _id: queue }, { $set: { expire_at: expireAt } });
  }

  /** Renews this transport's leases and puts back every expired lease; resolves with how many came back. */
  async maintain(): Promise<number> {
    await this.store.renew();
    const restored = await this.store.sweep();
    if (restored > 0) for (const channel of this.channels) channel.wake();
    return restored;
  }

  protected override createExchangeStore(): MongoExchangeStore {
    return new MongoExchangeStore();
  }

  protected override storeKey(): string {
    return `mongodb:${this.where}/${this.settings.collections.messages}`;
  }

  protected override async establish(): Promise<void> {
    const s = this.settings;
    const client = new MongoClient(s.connectionString, s.clientOptions);
    try {
      await client.connect();
      const db = client.db(s.database);
      await ensureLayout(db, s);
      this.client = client;
      this.db = db;
      this.messages = new MessageStore(db.collection<MessageDocument>(s.collections.messages), this.owner, s.visibilityTimeout * 1000);
      this.exchangeStore.attach({
        routing: this.routing,
        where: this.where,
        expireAt: async (queue) => (s.ttl ? argumentExpiry(await this.queueArguments(queue), 'x-expires', new Date()) : undefined),
      });
      await this.store.sweep();
    } catch (err) {
      this.exchangeStore.attach(null);
      this.client = null;
      this.db = null;
      this.messages = null;
      await client.close().catch(() => undefined);
      throw toTransportError(err, 'connecting', this.where);
    }
    let failing = false; // one warning per outage, not one per interval
    this.timer = setInterval(() => {
      this.maintaining ??= this.maintain().then(() => { failing = false; }, (err: unknown) => {
        if (!failing) process.emitWarning(`mongodb broker ${this.where}: renewing leases failed: ${String(err)}`, { code: 'CQ_MONGO_LEASES' });
        failing = true;
      }).finally(() => { this.maintaining = null; });
    }, Math.max(50, (s.visibilityTimeout * 1000) / 3));
    this.timer.unref();
  }

  protected override async teardown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.maintaining;
    try {
      await this.messages?.releaseOwned();
    } catch (err) {
      throw toTransportError(err, 'restoring unacked messages at close', this.where);
    } finally {
      await this.dropReaders(() => true);
      this.exchangeStore.attach(null);
      const client = this.client;
      this.client = null;
      this.db = null;
      this.messages = null;
      await client?.close().catch(() => undefined);
    }
  }

  protected newChannel(): MongoChannel {
    return new MongoChannel(this);
  }
}

/**
 * kombu `_create_broadcast` and `_ensure_indexes`: the capped broadcast collection and kombu's
 * indexes, with kombu's options (so either side may create them first), plus cq's lease indexes.
 */
async function ensureLayout(db: Db, s: ResolvedMongoOptions): Promise<void> {
  const c = s.collections;
  const existing = await db.listCollections({ name: c.broadcast }, { nameOnly: true }).toArray();
  if (existing.length === 0) {
    await db.createCollection(c.broadcast, { capped: true, size: s.cappedQueueSize }).catch((err: unknown) => {
      if (Number((err as { code?: unknown }).code) !== 48) throw err; // NamespaceExists: another process was first
    });
  }
  const messages = db.collection(c.messages);
  await messages.createIndex({ queue: 1, priority: 1, _id: 1 }, { background: true });
  await db.collection(c.broadcast).createIndex({ queue: 1 });
  await db.collection(c.routing).createIndex({ queue: 1, exchange: 1 });
  if (s.ttl) {
    for (const name of [c.messages, c.routing, c.queues]) await db.collection(name).createIndex({ expire_at: 1 }, { expireAfterSeconds: 0 });
  }
  await messages.createIndex({ 'lease.owner': 1 }, { sparse: true });
  await messages.createIndex({ 'lease.at': 1 }, { sparse: true });
}

/** The registry entry for `mongodb://` and `mongodb+srv://` URLs. Throws MongoOptionError for a bad URL or option. */
export const transport: TransportDefinition = {
  name: 'mongodb',
  create: (url, options) => new MongoTransport(url, options),
};
