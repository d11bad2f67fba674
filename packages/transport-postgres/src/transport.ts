/**
 * The PostgreSQL transport: a kombu virtual transport whose store is a PostgreSQL database, shared
 * by every worker and client that can reach it (and, with `sqla+postgresql://`, by Python Celery
 * through kombu's SQLAlchemy tables).
 *
 * Features: batched takes with `FOR UPDATE SKIP LOCKED`; consumers woken by LISTEN/NOTIFY (the
 * NOTIFY is part of the publishing statement, so it is delivered when the rows commit), with a
 * fallback poll every `polling_interval`; leases: a taken row stays in the table, invisible, until
 * acked (deleted) or given back — on reject/requeue, channel close, when its lease passes
 * `visibility_timeout`, or as soon as any process sweeps after the taker's LISTEN session left
 * `pg_stat_activity` (the process died or lost its connection); priorities 0..255, higher first;
 * countdowns/ETAs stored as the row's `visible_after`; per-message TTL (`expiration`) and queue
 * `x-message-ttl`/`x-expires`; direct and topic exchanges routed through shared tables, fanout by
 * NOTIFY (`fanout.ts`); publishing inside the caller's own transaction (`publishIn`).
 *
 * Capabilities (@cq/kombu, each checked with its guard): {@link TransactionalPublisher}
 * (`publishIn`, also on channels), {@link LeaseLockProvider} (`leaseLock(key)`, rows of
 * `cq_lease_lock`) and {@link ScheduleStoreProvider} (`scheduleStore(scope)`, rows of `cq_beat_entry`
 * and `cq_beat_meta`), so `cq beat` on this broker keeps its lock and its state in the database, and
 * {@link DeduplicatorProvider} (`deduplicator()`, rows of `cq_deduplication`: enqueue-time deduplication).
 *
 * URLs: `postgresql://[user[:password]@]host[:port]/database[?sslmode=…]` and `postgres://` (cq's
 * tables), `sqla+postgresql://…` (kombu's tables). Options: see {@link PostgresTransportOptions}.
 *
 * ETA: the worker still handles a message's `eta` as Celery does (it holds a message that arrives
 * early); with `store_eta` (default) messages arrive when due, so it never has to. Set `store_eta:
 * false` for Celery's behaviour (delivered at once, held in worker memory).
 */
import pg from 'pg';
import {
  OperationalError, VirtualChannel, VirtualTransport, route, toEnvelope, type BindingDeclaration, type BrokerUrl, type Envelope,
  type Deduplicator, type DeduplicatorProvider, type LeaseLock, type LeaseLockProvider, type QueueDeclaration, type RawMessage, type ScheduleStore, type ScheduleStoreProvider,
  type TakenMessage, type TransactionClient, type TransactionalPublisher, type TransportCapabilities, type TransportDefinition,
} from '@cq/kombu';
import { toTransportError } from './errors.js';
import { PostgresLeaseLock } from './lease-lock.js';
import { PostgresDeduplicator } from './deduplicator.js';
import { PostgresScheduleStore } from './schedule-store.js';
import { PostgresExchangeStore } from './exchange-store.js';
import { FanoutHub, decodeBroadcast, encodeBroadcast } from './fanout.js';
import { Listener } from './listener.js';
import { MessageStore, type LeaseSession, type Put } from './message-store.js';
import { resolveOptions, type PostgresTransportOptions, type ResolvedOptions } from './options.js';
import { ensureSchema } from './schema.js';

/** Receipt of a message taken from a fanout buffer: nothing to ack in the database. */
const BROADCAST = Symbol('broadcast');

/** A channel whose hooks are statements on the transport's pool. */
export class PostgresChannel extends VirtualChannel implements TransactionalPublisher {
  declare protected readonly transport: PostgresTransport;
  /** Per queue, the transport's notification count when this channel last started taking from it. */
  private readonly seen = new Map<string, number>();
  private waiter: { queues: Set<string>; resolve: () => void } | null = null;

  /** Publishes through the caller's `pg` client (see {@link TransactionalPublisher}). */
  publishIn(client: TransactionClient, message: RawMessage, exchange: string, routingKey: string): Promise<void> {
    if (!this.isOpen) return Promise.reject(new OperationalError('channel is closed: open a new one with connection.channel()'));
    return this.transport.publishIn(client, message, exchange, routingKey);
  }

  /** Fanout exchanges broadcast with NOTIFY; other exchanges route to table rows. */
  override async publish(message: RawMessage, exchange: string, routingKey: string): Promise<void> {
    if (exchange === '' || (await this.transport.exchangeStore.exchangeType(exchange)) !== 'fanout') return super.publish(message, exchange, routingKey);
    if (!this.isOpen) throw new OperationalError('channel is closed: open a new one with connection.channel()');
    await this.transport.broadcast(this.transport.pool, exchange, toEnvelope(message, exchange, routingKey));
  }

  /** Binds as the base does; a queue bound to a fanout exchange also receives its broadcasts here. */
  override async bindQueue(binding: BindingDeclaration): Promise<void> {
    await super.bindQueue(binding);
    if ((await this.transport.exchangeStore.exchangeType(binding.exchange)) === 'fanout') this.transport.fanout.bind(binding.queue, binding.exchange);
  }

  override async deleteExchange(name: string): Promise<void> {
    await super.deleteExchange(name);
    this.transport.fanout.unbindExchange(name);
  }

  /** Called by the transport for each notification about `queue`: ends a wait that includes it. */
  notified(queue: string): void {
    const w = this.waiter;
    if (w?.queues.has(queue)) {
      this.waiter = null;
      w.resolve();
    }
  }

  /** Declares as the base does; identical declarations in flight on this transport are joined. */
  override declareQueue(queue: QueueDeclaration): Promise<{ messageCount: number }> {
    return this.transport.coalesce(`queue:${JSON.stringify(queue)}`, () => super.declareQueue(queue));
  }

  protected override async _newQueue(queue: QueueDeclaration): Promise<void> {
    const ms = (key: string): number | null => {
      const n = Number(queue.arguments[key]);
      return queue.arguments[key] === undefined || !Number.isFinite(n) || n < 0 ? null : Math.trunc(n);
    };
    await this.transport.run('declaring a queue', (s) => s.declareQueue(queue.name, ms('x-message-ttl'), ms('x-expires')));
  }

  protected _put(queue: string, envelope: Envelope): Promise<void> {
    return this.transport.run('publishing', (s) => s.put(queue, envelope));
  }

  protected async _get(queue: string, max: number): Promise<TakenMessage[]> {
    const t = this.transport;
    this.seen.set(queue, t.notifications(queue));
    await t.promoteIfDue(queue);
    const rows = await t.run('taking messages', (s) => s.take(queue, max));
    const out: TakenMessage[] = rows.map((row) => ({ envelope: row.envelope, receipt: row.id }));
    for (const envelope of t.fanout.take(queue, max - out.length)) out.push({ envelope, receipt: BROADCAST });
    return out;
  }

  /**
   * Waits for a notification about one of `queues`, the next delayed message of one of them to be
   * due, or `timeoutMs` (the fallback poll); then the base polls. Never takes a message itself.
   */
  protected override async _getBlocking(queues: readonly string[], timeoutMs: number): Promise<null> {
    const t = this.transport;
    if (queues.some((q) => t.notifications(q) !== this.seen.get(q) || t.fanout.size(q) > 0)) return null;
    const wait = Math.min(timeoutMs, ...queues.map((q) => t.dueAt(q) - Date.now()));
    if (wait <= 0) return null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.waiter = null; resolve(); }, wait);
      this.waiter = { queues: new Set(queues), resolve: () => { clearTimeout(timer); resolve(); } };
    });
    return null;
  }

  protected override _interruptBlocking(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  }

  protected override _ack(_queue: string, taken: TakenMessage): Promise<void> | void {
    if (taken.receipt === BROADCAST) return;
    return this.transport.run('acking', (s) => s.ack(taken.receipt as string));
  }

  protected override async _restore(queue: string, taken: TakenMessage): Promise<void> {
    if (taken.receipt === BROADCAST) return this.transport.fanout.putBack(queue, taken.envelope);
    await this.transport.run('restoring a message', (s) => s.restore([taken.receipt as string]));
  }

  protected async _purge(queue: string): Promise<number> {
    return (await this.transport.run('purging', (s) => s.purge(queue))) + this.transport.fanout.purge(queue);
  }

  protected async _size(queue: string): Promise<number> {
    return (await this.transport.run('counting messages', (s) => s.size(queue))) + this.transport.fanout.size(queue);
  }

  protected override async _delete(queue: string): Promise<void> {
    await this.transport.run('deleting a queue', (s) => s.delete(queue));
    this.transport.fanout.unbindQueue(queue);
  }

  protected override async onClose(): Promise<void> {
    this._interruptBlocking();
  }
}

/** A connection pool, a LISTEN connection and a periodic sweep, shared by all channels of the transport. */
export class PostgresTransport extends VirtualTransport<PostgresChannel> implements TransactionalPublisher, LeaseLockProvider, ScheduleStoreProvider, DeduplicatorProvider {
  readonly driverType = 'postgresql';
  readonly capabilities: TransportCapabilities = { priorityOrder: 'higher-first', persistent: true, redeliversUnacked: true, fanout: true };
  declare readonly exchangeStore: PostgresExchangeStore;
  /** URL and options as resolved (layout, table names, timings in seconds). */
  readonly settings: ResolvedOptions;
  /** Broadcast subscriptions and buffers of this process. */
  readonly fanout: FanoutHub;
  private poolInstance: pg.Pool | null = null;
  private relaxedPool: pg.Pool | null = null;
  private messages: MessageStore | null = null;
  private listener: Listener | null = null;
  private readonly counts = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Per queue: when its next delayed message is due (ms, server clock), and when it was last promoted. */
  private readonly due = new Map<string, number>();
  private readonly promotedAt = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  /**
   * @param url the parsed broker URL (`postgresql://`, `postgres://` or `sqla+postgresql://`).
   * @throws ConfigurationError (kombu) or PostgresLayoutError for a bad option or table name.
   */
  constructor(readonly url: BrokerUrl, options: PostgresTransportOptions = {}) {
    super(options);
    this.settings = resolveOptions(url, options);
    this.fanout = new FanoutHub((queue) => this.wakeFor(queue));
  }

  /** `host:port/database`, for messages (never the password). */
  get where(): string {
    return this.settings.where;
  }

  /** The connection pool; throws kombu's OperationalError when not connected. */
  get pool(): pg.Pool {
    if (!this.poolInstance) throw new OperationalError('the postgres transport is not connected: call connection.connect() first');
    return this.poolInstance;
  }

  /** The message store; throws kombu's OperationalError when not connected. */
  get store(): MessageStore {
    if (!this.messages) throw new OperationalError('the postgres transport is not connected: call connection.connect() first');
    return this.messages;
  }

  /** The LISTEN session leases are stamped with (null while it reconnects or before connect). */
  get session(): LeaseSession | null {
    return this.listener?.session ?? null;
  }

  /** Runs a store operation, mapping pg failures to kombu errors (see `errors.ts`). */
  async run<T>(action: string, op: (store: MessageStore) => Promise<T>): Promise<T> {
    try {
      return await op(this.store);
    } catch (err) {
      throw toTransportError(err, action, this.where);
    }
  }

  /**
   * Routes `message` and writes it through `client`, in the caller's transaction when one is open
   * (see {@link TransactionalPublisher}). Consumers of this process are woken by the NOTIFY, on commit.
   */
  async publishIn(client: TransactionClient, message: RawMessage, exchange: string, routingKey: string): Promise<void> {
    try {
      const envelope = toEnvelope(message, exchange, routingKey);
      if (exchange !== '' && (await this.exchangeStore.exchangeType(exchange)) === 'fanout') return await this.broadcast(client, exchange, envelope);
      const queues = await route(this.exchangeStore, exchange, routingKey);
      if (queues.length > 0) await this.store.write(client, queues.map((queue): Put => ({ queue, envelope })));
    } catch (err) {
      throw toTransportError(err, 'publishing in the caller\'s transaction', this.where);
    }
  }

  /**
   * A lease lock named `key` in this broker's database (a row of the lock table; see
   * `lease-lock.ts`): every process on this database competes for it (beat's lock). Needs a
   * connected transport to acquire.
   */
  leaseLock(key: string, token?: string): LeaseLock {
    return new PostgresLeaseLock(() => this.pool, this.settings.tables.lock, key, this.where, token);
  }

  /**
   * Beat's schedule state named `scope` in this broker's database (rows of the beat tables; see
   * `schedule-store.ts`). Needs a connected transport to read or write.
   */
  scheduleStore(scope: string): ScheduleStore {
    const t = this.settings.tables;
    return new PostgresScheduleStore(() => this.pool, { entry: t.beatEntry, meta: t.beatMeta }, scope, this.where);
  }

  /**
   * Enqueue-time deduplication records (`applyAsync(…, { deduplicationId })`) in this broker's
   * database (rows of the deduplication table; see `deduplicator.ts`). Needs a connected transport.
   */
  deduplicator(): Deduplicator {
    return new PostgresDeduplicator(() => this.pool, this.settings.tables.deduplication, this.where);
  }

  /** Sends a broadcast to `exchange` through `client` (NOTIFY, or a broadcast row when large). */
  async broadcast(client: TransactionClient, exchange: string, envelope: Envelope): Promise<void> {
    const { inline, json } = encodeBroadcast(exchange, envelope);
    const channel = this.settings.notifyChannel;
    try {
      if (inline !== null) await client.query('SELECT pg_notify($1, $2)', [channel, inline]);
      else await client.query(`WITH b AS (INSERT INTO ${this.settings.tables.broadcast} (payload) VALUES ($2) RETURNING id) SELECT pg_notify($1, 'F:' || id) FROM b`, [channel, json]);
    } catch (err) {
      throw toTransportError(err, 'publishing to a fanout exchange', this.where);
    }
  }

  /** Runs `op`, or joins the run of the same `key` still in flight (concurrent identical declarations). */
  coalesce<T>(key: string, op: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = op().finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }

  /** How many notifications about `queue` arrived so far (a channel compares it around its takes). */
  notifications(queue: string): number {
    return this.counts.get(queue) ?? 0;
  }

  /** When the next delayed message of `queue` is known to be due (ms; Infinity when none known). */
  dueAt(queue: string): number {
    return this.due.get(queue) ?? Infinity;
  }

  /**
   * Makes due delayed messages of `queue` ready when one is known to be due, and otherwise at most
   * once per `polling_interval` (for delays published by processes we did not hear from).
   */
  async promoteIfDue(queue: string): Promise<void> {
    const now = Date.now();
    if (this.dueAt(queue) > now && now - (this.promotedAt.get(queue) ?? 0) < this.pollingInterval * 1000) return;
    this.promotedAt.set(queue, now);
    const { nextDueMs } = await this.run('promoting due messages', (s) => s.promote(queue));
    if (nextDueMs === null) this.due.delete(queue);
    else this.due.set(queue, nextDueMs);
  }

  /**
   * One sweep now (also run every `unacked_restore_interval` while connected): gives back leases
   * that expired or whose session is gone, applies TTLs and `x-expires`. Resolves with the queues
   * that got messages back.
   */
  async sweep(): Promise<string[]> {
    const consumed = [...new Set([...this.channels].flatMap((c) => c.consumedQueues))];
    const result = await this.run('sweeping leases', (s) => s.sweep(consumed));
    if (result.expiredQueues.length > 0) {
      for (const queue of result.expiredQueues) this.fanout.unbindQueue(queue);
      await this.pool.query('SELECT pg_notify($1, $2)', [this.settings.notifyChannel, 'x:*']).catch(() => undefined);
    }
    return result.restored;
  }

  protected override defaultPollingInterval(): number {
    return 1;
  }

  protected override createExchangeStore(): PostgresExchangeStore {
    return new PostgresExchangeStore(); // told its tables on connect (the base calls this before our fields exist)
  }

  protected override storeKey(): string {
    return `postgres:${this.where}:${this.settings.tables.message}`;
  }

  protected override async establish(): Promise<void> {
    const s = this.settings;
    const pool = new pg.Pool({ connectionString: s.connectionString, max: s.poolSize, keepAlive: true, idleTimeoutMillis: 30_000 });
    const relaxed = s.synchronousAcks ? pool : new pg.Pool({
      connectionString: s.connectionString, max: s.poolSize, keepAlive: true, idleTimeoutMillis: 30_000, options: '-c synchronous_commit=off',
    });
    // An idle client lost: the pool drops it, the next query opens another.
    for (const p of new Set([pool, relaxed])) p.on('error', () => undefined);
    const listener = new Listener({ connectionString: s.connectionString }, s.notifyChannel, {
      notification: (payload) => this.onNotification(payload),
      session: (session, reconnected) => this.onSession(session, reconnected),
      lost: (err) => process.emitWarning(`postgres broker ${this.where}: LISTEN connection lost (${String(err)}); reconnecting`, { code: 'CQ_PG_LISTEN_LOST' }),
    });
    try {
      await ensureSchema(pool, s.layout, s.tables);
      this.poolInstance = pool;
      this.relaxedPool = relaxed;
      this.messages = new MessageStore(pool, {
        layout: s.layout, tables: s.tables, notifyChannel: s.notifyChannel, visibilityTimeout: s.visibilityTimeout, storeEta: s.storeEta,
        session: () => listener.session,
      }, relaxed);
      this.exchangeStore.attach(pool, s.tables, s.notifyChannel, s.where);
      this.listener = listener;
      await listener.start();
    } catch (err) {
      await listener.stop();
      this.exchangeStore.detach();
      this.poolInstance = null;
      this.relaxedPool = null;
      this.messages = null;
      this.listener = null;
      for (const p of new Set([pool, relaxed])) await p.end().catch(() => undefined);
      throw toTransportError(err, 'connecting', this.where);
    }
    await this.sweep().catch(() => undefined);
    let failing = false; // one warning per outage, not one per interval
    this.sweepTimer = setInterval(() => {
      this.sweeping ??= this.sweep().then(() => { failing = false; }, (err: unknown) => {
        if (!failing) process.emitWarning(`postgres broker ${this.where}: sweep failed: ${String(err)}`, { code: 'CQ_PG_SWEEP' });
        failing = true;
      }).finally(() => { this.sweeping = null; });
    }, Math.max(10, s.restoreInterval * 1000));
    this.sweepTimer.unref();
  }

  protected override async teardown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
    try {
      await this.messages?.flush();
      await this.messages?.releaseOwned();
    } catch (err) {
      throw toTransportError(err, 'restoring unacked messages at close', this.where);
    } finally {
      await this.listener?.stop();
      this.listener = null;
      this.exchangeStore.detach();
      this.messages = null;
      const pools = new Set([this.poolInstance, this.relaxedPool]);
      this.poolInstance = null;
      this.relaxedPool = null;
      for (const p of pools) await p?.end().catch(() => undefined);
    }
  }

  protected newChannel(): PostgresChannel {
    return new PostgresChannel(this);
  }

  private onNotification(payload: string): void {
    const kind = payload.slice(0, 2);
    if (kind === 'q:') return this.wakeFor(payload.slice(2));
    if (kind === 'd:') {
      const colon = payload.indexOf(':', 2);
      const queue = payload.slice(colon + 1);
      const at = Number(payload.slice(2, colon));
      if (Number.isFinite(at) && at < this.dueAt(queue)) this.due.set(queue, at);
      return this.wakeFor(queue);
    }
    if (kind === 'x:') return this.exchangeStore.invalidate(payload.slice(2));
    if (kind === 'f:') return this.deliverBroadcast(payload.slice(2));
    if (kind === 'F:') {
      const id = payload.slice(2);
      if (!/^\d+$/.test(id) || !this.poolInstance) return;
      void this.poolInstance.query<{ payload: string }>(`SELECT payload FROM ${this.settings.tables.broadcast} WHERE id = $1`, [id])
        .then(({ rows }) => { if (rows[0]) this.deliverBroadcast(rows[0].payload); })
        .catch((err: unknown) => process.emitWarning(`postgres broker ${this.where}: reading broadcast ${id} failed: ${String(err)}`, { code: 'CQ_PG_BROADCAST' }));
    }
  }

  private deliverBroadcast(json: string): void {
    const decoded = decodeBroadcast(json);
    if (decoded && this.fanout.listens(decoded.exchange)) this.fanout.deliver(decoded.exchange, decoded.envelope);
  }

  /** Counts a notification about `queue` and wakes channels waiting on it. */
  private wakeFor(queue: string): void {
    this.counts.set(queue, this.notifications(queue) + 1);
    for (const channel of this.channels) channel.notified(queue);
  }

  private async onSession(session: LeaseSession, reconnected: boolean): Promise<void> {
    if (!reconnected) return;
    // Notifications may have been missed while down: forget cached routes, due times, and look again.
    this.exchangeStore.invalidate('*');
    this.promotedAt.clear();
    for (const channel of this.channels) channel.interrupt();
    await this.messages?.reown(session).catch((err: unknown) =>
      process.emitWarning(`postgres broker ${this.where}: re-stamping leases failed: ${String(err)}`, { code: 'CQ_PG_REOWN' }));
  }
}

/**
 * The registry entry for `postgresql://`, `postgres://` and `sqla+postgresql://` URLs.
 * Throws ConfigurationError (kombu) for a bad option.
 */
export const transport: TransportDefinition = {
  name: 'postgresql',
  create: (url, options) => new PostgresTransport(url, options),
};
