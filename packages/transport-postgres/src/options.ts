/**
 * The transport's settings: the broker URL (which layout, which server) and Celery's
 * `broker_transport_options`, by kombu's names where kombu has one, read in one place.
 *
 * | URL | layout | default tables |
 * |---|---|---|
 * | `postgresql://`, `postgres://` | `cq` | `cq_queue`, `cq_message`, `cq_exchange`, `cq_binding`, `cq_broadcast`; `cq_lease_lock`, `cq_beat_entry`, `cq_beat_meta` (beat); `cq_deduplication` |
 * | `sqla+postgresql://` (also `sqla+postgresql+psycopg2://`, `sqlalchemy+postgresql://`) | `kombu` | `kombu_queue`, `kombu_message` (kombu's SQLAlchemy transport), `kombu_exchange`, `kombu_binding`, `kombu_broadcast`; `kombu_lease_lock`, `kombu_beat_entry`, `kombu_beat_meta`; `kombu_deduplication` |
 */
import { ConfigurationError, type BrokerUrl, type VirtualTransportOptions } from '@cq/kombu';
import { PostgresLayoutError } from './errors.js';

/** `cq`: cq's own tables. `kombu`: the tables of kombu's SQLAlchemy transport, shared with Python. */
export type LayoutName = 'cq' | 'kombu';

/** Transport options (Celery `broker_transport_options`); times in **seconds**. */
export interface PostgresTransportOptions extends VirtualTransportOptions {
  /** Seconds a taken, unacked message stays leased before any process may restore it. Default 3600 (kombu Redis). */
  visibility_timeout?: number;
  /** Least seconds between two sweeps (expired leases, leases of dead connections, TTLs). Default 1. */
  unacked_restore_interval?: number;
  /**
   * Seconds between fallback polls of an idle queue, for notifications missed while the LISTEN
   * connection was down (kombu `polling_interval`). Default 1. Publishes wake consumers at once.
   */
  polling_interval?: number;
  /** Most messages taken by one statement (further capped by the prefetch window). Default 100. */
  fetch_batch_size?: number;
  /** Queue table (kombu's option). Default `cq_queue`, or `kombu_queue` for `sqla+postgresql://`. May be `schema.table`. */
  queue_tablename?: string;
  /** Message table (kombu's option). Default `cq_message` / `kombu_message`. */
  message_tablename?: string;
  /** Exchange table (cq's). Default `cq_exchange` / `kombu_exchange`. */
  exchange_tablename?: string;
  /** Binding table (cq's). Default `cq_binding` / `kombu_binding`. */
  binding_tablename?: string;
  /** Table holding fanout messages too large for a NOTIFY payload (cq's). Default `cq_broadcast` / `kombu_broadcast`. */
  broadcast_tablename?: string;
  /** Lease locks, one row per key: beat's single-active lock (cq's). Default `cq_lease_lock` / `kombu_lease_lock`. */
  lock_tablename?: string;
  /** Beat's schedule state, one row per entry (cq's). Default `cq_beat_entry` / `kombu_beat_entry`. */
  beat_entry_tablename?: string;
  /** Beat's meta values (the time zone the state was written under; cq's). Default `cq_beat_meta` / `kombu_beat_meta`. */
  beat_meta_tablename?: string;
  /** Enqueue-time deduplication records, one row per key (cq's; created on first use). Default `cq_deduplication` / `kombu_deduplication`. */
  deduplication_tablename?: string;
  /** LISTEN/NOTIFY channel. Default the message table's name without schema. */
  notify_channel?: string;
  /** Most pooled connections of this transport, besides its LISTEN connection (SQLAlchemy's name). Default 5. */
  pool_size?: number;
  /**
   * Let takes, acks and restores wait for the WAL flush like publishes do. Default false: they run on
   * connections with `synchronous_commit = off`, so a server crash may forget the last few hundred
   * ms of them — those messages are delivered again (at-least-once), none is lost. Publishes always
   * wait for the flush: a resolved publish survives a crash.
   */
  synchronous_acks?: boolean;
  /**
   * Store a task's `eta` header (countdown/ETA) as the row's `visible_after`, so the message is
   * delivered when due instead of being held by the worker. Default true.
   */
  store_eta?: boolean;
}

/** Table names, quoted and ready for SQL, plus the bare names used for indexes and messages. */
export interface TableNames {
  queue: string;
  message: string;
  exchange: string;
  binding: string;
  broadcast: string;
  lock: string;
  beatEntry: string;
  beatMeta: string;
  deduplication: string;
  /** Bare message table name (no schema), the base of index names. */
  messageBase: string;
  queueBase: string;
}

/** Everything the transport reads from its URL and options. */
export interface ResolvedOptions {
  layout: LayoutName;
  /** `postgresql://…` connection string for `pg`, scheme normalized. */
  connectionString: string;
  /** `host:port/db` for messages; never the password. */
  where: string;
  tables: TableNames;
  notifyChannel: string;
  visibilityTimeout: number;
  restoreInterval: number;
  pollingInterval: number;
  poolSize: number;
  storeEta: boolean;
  synchronousAcks: boolean;
}

const KOMBU_SCHEMES = /^(sqla|sqlalchemy)\+postgresql(\+psycopg2?|\+pg8000)?$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Resolves the URL and options.
 * @throws ConfigurationError (kombu) for an option of the wrong type or range;
 *   PostgresLayoutError for a table or channel name that is not a plain SQL name.
 */
export function resolveOptions(url: BrokerUrl, options: PostgresTransportOptions): ResolvedOptions {
  const layout: LayoutName = KOMBU_SCHEMES.test(url.transport) ? 'kombu' : 'cq';
  const base = layout === 'kombu' ? 'kombu' : 'cq';
  const table = (key: string, fallback: string) => tableName(String(options[key] ?? fallback), key);
  const message = table('message_tablename', `${base}_message`);
  const queue = table('queue_tablename', `${base}_queue`);
  const notifyChannel = String(options.notify_channel ?? message.bare);
  if (!NAME.test(notifyChannel)) throw new PostgresLayoutError(`postgres transport option notify_channel ${JSON.stringify(notifyChannel)} is not a plain SQL name: use letters, digits and _ (63 at most)`);
  const afterScheme = url.href.trim().replace(/^[^:]+:\/\//, '');
  const host = `${url.hostname ?? 'localhost'}:${url.port ?? 5432}`;
  return {
    layout,
    connectionString: `postgresql://${afterScheme}`,
    where: `${host}/${url.virtualHost ?? ''}`,
    tables: {
      queue: queue.sql, message: message.sql, exchange: table('exchange_tablename', `${base}_exchange`).sql,
      binding: table('binding_tablename', `${base}_binding`).sql, broadcast: table('broadcast_tablename', `${base}_broadcast`).sql,
      lock: table('lock_tablename', `${base}_lease_lock`).sql, beatEntry: table('beat_entry_tablename', `${base}_beat_entry`).sql,
      beatMeta: table('beat_meta_tablename', `${base}_beat_meta`).sql,
      deduplication: table('deduplication_tablename', `${base}_deduplication`).sql,
      messageBase: message.bare, queueBase: queue.bare,
    },
    notifyChannel,
    visibilityTimeout: seconds(options, 'visibility_timeout', 3600),
    restoreInterval: seconds(options, 'unacked_restore_interval', 1),
    pollingInterval: seconds(options, 'polling_interval', 1),
    poolSize: count(options, 'pool_size', 5),
    storeEta: options.store_eta !== false && String(options.store_eta) !== 'false',
    synchronousAcks: options.synchronous_acks === true || String(options.synchronous_acks) === 'true',
  };
}

/** `name` or `schema.name`, each part a plain SQL name; returned quoted, and the bare table name. */
function tableName(value: string, key: string): { sql: string; bare: string } {
  const parts = value.split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) {
    throw new PostgresLayoutError(`postgres transport option ${key} ${JSON.stringify(value)} is not a plain SQL name: use letters, digits and _, optionally as schema.table`);
  }
  return { sql: parts.map((p) => `"${p}"`).join('.'), bare: parts[parts.length - 1]! };
}

function seconds(options: Record<string, unknown>, key: string, fallback: number): number {
  const value = options[key] ?? fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new ConfigurationError(`postgres transport option ${key} must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

function count(options: Record<string, unknown>, key: string, fallback: number): number {
  const n = Number(options[key] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new ConfigurationError(`postgres transport option ${key} must be an integer >= 1, got ${JSON.stringify(options[key])}`);
  return n;
}
