/** The SQLite transport, cq's embedded default broker; see {@link SqliteTransport}. */
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import {
  ConfigurationError, OperationalError, VirtualChannel, VirtualTransport, resolveEtaParking, type Envelope, type EtaParking,
  type EtaParkingChannel, type LeaseLock, type LeaseLockProvider, type Deduplicator, type DeduplicatorProvider, type QueueDeclaration, type TakenMessage, type TransportCapabilities, type TransportDefinition, type VirtualTransportOptions,
} from '@cq/kombu';
import { isBusy, toTransportError } from './errors.js';
import { SqliteExchangeStore } from './exchange-store.js';
import { SqliteLeaseLock } from './lease-lock.js';
import { SqliteDeduplicator } from './deduplicator.js';
import { MessageStore } from './message-store.js';
import { databasePath, prepareDatabaseFile } from './path.js';
import { openDatabase } from './schema.js';

export interface SqliteTransportOptions extends VirtualTransportOptions {
  /** Seconds a delivered, unacked message stays leased before it is redelivered. Default 3600 (kombu Redis). */
  visibility_timeout?: number;
  /** Least seconds between sweeps for expired leases and leases of dead processes. Default 1. */
  unacked_restore_interval?: number;
  /** cq: park far ETA/countdown tasks in the file until due. Default true. */
  store_eta?: boolean;
  /** cq: seconds; tasks due further ahead are parked. Default 60, capped at visibility_timeout / 2. */
  eta_horizon?: number;
}

/** A channel whose hooks read and write the transport's database; it parks far ETAs ({@link EtaParkingChannel}). */
export class SqliteChannel extends VirtualChannel implements EtaParkingChannel {
  declare protected readonly transport: SqliteTransport;

  /** Seconds (see @cq/kombu `EtaParkingChannel`); null with `store_eta: false`. */
  get etaHorizon(): number | null {
    return this.transport.parking.horizon;
  }

  /** Parks a delivered message until `dueAt` (ms): one UPDATE ends its lease and hides it until due. */
  parkDelivery(deliveryTag: string, dueAt: number): Promise<boolean> {
    return this.settleWith(deliveryTag, (_queue, taken) => {
      this.transport.run('parking a message until its ETA', (s) => s.park(taken.receipt as number, dueAt));
    });
  }

  protected override _newQueue(queue: QueueDeclaration): void {
    this.transport.run('declaring a queue', (s) => s.newQueue(queue.name));
  }
  protected _put(queue: string, envelope: Envelope): void {
    this.transport.run('publishing', (s) => s.put(queue, envelope));
  }
  protected _get(queue: string, max: number): TakenMessage[] {
    try {
      return this.transport.store.take(queue, max).map((row) => ({ envelope: row.envelope, receipt: row.id }));
    } catch (err) {
      if (isBusy(err)) return []; // locked for the whole busy timeout: nothing taken, poll again later
      throw toTransportError(err, 'taking messages', this.transport.file);
    }
  }
  protected override _ack(_queue: string, taken: TakenMessage): Promise<void> {
    return this.transport.store.ack(taken.receipt as number).catch((err: unknown) => {
      throw toTransportError(err, 'acking', this.transport.file);
    });
  }
  protected override _restore(_queue: string, taken: TakenMessage): void {
    this.transport.run('restoring a message', (s) => s.restore(taken.receipt as number, taken.envelope));
  }
  protected _purge(queue: string): number {
    return this.transport.run('purging', (s) => s.purge(queue));
  }
  protected _size(queue: string): number {
    return this.transport.run('counting messages', (s) => s.size(queue));
  }
  protected override _delete(queue: string): void {
    this.transport.run('deleting a queue', (s) => s.delete(queue));
  }
}

/**
 * The SQLite transport, cq's embedded default broker (kombu's counterpart is the SQLAlchemy transport,
 * `kombu/transport/sqlalchemy`): a kombu virtual transport over one SQLite file that any number of
 * processes on one machine share (WAL mode).
 *
 * Features: priorities (0..255, higher first, FIFO within a priority); acks with a visibility timeout
 * (kombu Redis semantics); unacked messages come back when their lease expires, when their transport
 * closes, and as soon as any process sweeps after their owner process died (even by SIGKILL);
 * exchanges and bindings shared across processes (direct, topic, fanout).
 *
 * Capability: a {@link LeaseLockProvider} (`leaseLock(key)`, rows of `cq_lease_lock` in the same
 * file), so beats sharing this broker compete for one lock; a {@link DeduplicatorProvider}
 * (`deduplicator()`, rows of `cq_deduplication`: enqueue-time deduplication); its channels are
 * {@link EtaParkingChannel}s: a task due past the horizon waits in the file (`visible_after`), not
 * in a worker, and is taken when due.
 *
 * URL: `sqlite:///relative/path.db` (from the working directory), `sqlite:////absolute/path.db`,
 * or `sqlite://` for `.cq/broker.db`. The tables are those of kombu's SQLAlchemy transport plus a few
 * columns (see `schema.ts`).
 *
 * Options (Celery `broker_transport_options`), all in **seconds**:
 * - `visibility_timeout` (3600): how long a taken, unacked message stays leased.
 * - `unacked_restore_interval` (1): least time between two sweeps for expired or orphaned leases.
 * - `polling_interval` (0.01): longest sleep between polls of an idle queue. Publishes from another
 *   process are seen within this delay; an idle poll costs one `PRAGMA data_version` read, not a query.
 * - `fetch_batch_size` (100, a count): most messages taken per query.
 * - `store_eta` (true), `eta_horizon` (60, capped at visibility_timeout / 2): cq's broker-side ETA.
 *
 * One SQLite connection (better-sqlite3 is synchronous) is shared by all channels of the transport.
 *
 * Errors (kombu's classes, mapped in errors.ts): the constructor throws `ConfigurationError` when an
 * option is not a non-negative number of seconds; a file that cannot be opened, is not a database or
 * is read-only is a `ConfigurationError` naming the file; `SQLITE_BUSY` / `SQLITE_LOCKED` (another
 * process held the lock over 5 s) a recoverable `ConnectionError`; anything else a `TransportError`.
 */
export class SqliteTransport extends VirtualTransport<SqliteChannel> implements LeaseLockProvider, DeduplicatorProvider {
  readonly driverType = 'sqlite';
  readonly capabilities: TransportCapabilities = { priorityOrder: 'higher-first', persistent: true, redeliversUnacked: true, fanout: true };
  declare readonly exchangeStore: SqliteExchangeStore;
  /** Seconds; see {@link SqliteTransportOptions.visibility_timeout}. */
  readonly visibilityTimeout: number;
  /** Absolute path of the database file. */
  readonly file: string;
  /** Seconds; see {@link SqliteTransportOptions.unacked_restore_interval}. */
  readonly restoreInterval: number;
  /** Broker-side ETA settings (`store_eta`, `eta_horizon`). */
  readonly parking: EtaParking;
  private db: Database.Database | null = null;
  private messages: MessageStore | null = null;

  /**
   * @param file path of the database file, made absolute from the working directory (created with its
   *   directory on connect).
   * @throws ConfigurationError when an option is not a non-negative number of seconds.
   */
  constructor(file: string, options: SqliteTransportOptions = {}) {
    super(options);
    this.file = resolve(file);
    this.visibilityTimeout = seconds(options, 'visibility_timeout', 3600);
    this.restoreInterval = seconds(options, 'unacked_restore_interval', 1);
    seconds(options, 'polling_interval', 0.01);
    this.parking = resolveEtaParking('sqlite', options, this.visibilityTimeout);
  }

  /** The message store. Throws kombu's `OperationalError` when not connected. */
  get store(): MessageStore {
    if (!this.messages) throw new OperationalError('the sqlite transport is not connected: call connection.connect() first');
    return this.messages;
  }

  /**
   * A lease lock named `key` in this broker's file (table `cq_lease_lock`): every process sharing the
   * file competes for it (beat's lock). Acquiring needs a connected transport.
   */
  leaseLock(key: string, token?: string): LeaseLock {
    return new SqliteLeaseLock(() => {
      if (!this.db) throw new OperationalError('the sqlite transport is not connected: call connection.connect() first');
      return this.db;
    }, key, token === undefined ? {} : { token });
  }

  /**
   * Enqueue-time deduplication records (`applyAsync(…, { deduplicationId })`) in this broker's file
   * (table `cq_deduplication`, see `deduplicator.ts`). Using it needs a connected transport.
   */
  deduplicator(): Deduplicator {
    return new SqliteDeduplicator(() => {
      if (!this.db) throw new OperationalError('the sqlite transport is not connected: call connection.connect() first');
      return this.db;
    }, this.file);
  }

  /** Runs a store operation, mapping SQLite failures to kombu errors. */
  run<T>(action: string, op: (store: MessageStore) => T): T {
    try {
      return op(this.store);
    } catch (err) {
      throw toTransportError(err, action, this.file);
    }
  }

  protected override defaultPollingInterval(): number {
    return 0.01;
  }

  protected override createExchangeStore(): SqliteExchangeStore {
    return new SqliteExchangeStore();
  }

  protected override storeKey(): string {
    return `sqlite:${this.file}`;
  }

  protected override async establish(): Promise<void> {
    prepareDatabaseFile(this.file);
    const db = openDatabase(this.file);
    try {
      this.messages = new MessageStore(db, {
        visibilityTimeout: this.visibilityTimeout, restoreInterval: this.restoreInterval, onInvalid: (report) => this.reportInvalid(report), parking: this.parking,
      });
      this.exchangeStore.attach(db);
      this.messages.sweep();
    } catch (err) {
      db.close();
      this.messages = null;
      throw toTransportError(err, 'connecting', this.file);
    }
    this.db = db;
  }

  protected override async teardown(): Promise<void> {
    try {
      this.messages?.releaseAll();
    } catch (err) {
      throw toTransportError(err, 'restoring unacked messages at close', this.file);
    } finally {
      this.exchangeStore.detach();
      this.messages = null;
      this.db?.close();
      this.db = null;
    }
  }

  protected newChannel(): SqliteChannel {
    return new SqliteChannel(this);
  }
}

function seconds(options: Record<string, unknown>, key: string, fallback: number): number {
  const value = options[key] ?? fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new ConfigurationError(`sqlite transport option ${key} must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The registry entry: `sqlite://` and `sqla+sqlite://` URLs. Throws ConfigurationError for a bad path. */
export const transport: TransportDefinition = {
  name: 'sqlite',
  create: (url, options) => new SqliteTransport(databasePath(url), options),
};
