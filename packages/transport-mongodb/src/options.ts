/**
 * The transport's settings: the broker URL and Celery's `broker_transport_options`, by kombu's names
 * (`kombu/transport/mongodb.py` `Channel.from_transport_options`), read in one place. Pure.
 *
 * URL (kombu `_parse_uri`): `mongodb://[user:password@]host[:port][,host2[:port2]…]/[database][?options]`
 * or `mongodb+srv://[user:password@]cluster.example.net/[database][?options]`. An empty host list is
 * `default_hostname:default_port`; a single host without a port gets `default_port`; a missing
 * database (or `/`) is `default_database`. The query is the driver's (`replicaSet`, `authSource`,
 * `tls`, `tlsCAFile`, …), passed through untouched, as kombu hands it to pymongo.
 */
import type { BrokerUrl, VirtualTransportOptions } from '@cq/kombu';
import { redact } from '@cq/kombu';
import type { MongoClientOptions } from 'mongodb';
import { MongoOptionError } from './errors.js';

/** Transport options (Celery `broker_transport_options`); times in **seconds**, sizes in bytes. */
export interface MongoTransportOptions extends VirtualTransportOptions {
  /**
   * kombu `ttl`: honour `x-message-ttl`, `x-expires` and a message's `expiration` through `expire_at`
   * fields and TTL indexes (MongoDB deletes expired documents about once a minute). Default false.
   */
  ttl?: boolean;
  /** kombu `capped_queue_size`: bytes of the capped `messages.broadcast` collection (fanout). Default 100000. */
  capped_queue_size?: number;
  /** kombu `calc_queue_size`: count messages for `queue_declare`/size; false answers 0 (cheaper). Default true. */
  calc_queue_size?: boolean;
  /** kombu `default_hostname`, used when the URL names no host. Default `127.0.0.1`. */
  default_hostname?: string;
  /** kombu `default_port`, for a single host without a port. Default 27017. */
  default_port?: number;
  /** kombu `default_database`, used when the URL names none. Default `kombu_default`. */
  default_database?: string;
  /** kombu `connect_timeout`, **seconds** (the driver's `connectTimeoutMS`). Default: the driver's (30 s). */
  connect_timeout?: number;
  /** kombu `ssl`: connect with TLS (the driver's `tls`), unless the URL's query says otherwise. Default false. */
  ssl?: boolean;
  /** kombu `messages_collection`. Default `messages`. */
  messages_collection?: string;
  /** kombu `routing_collection`: bindings, shared by every process. Default `messages.routing`. */
  routing_collection?: string;
  /** kombu `broadcast_collection`: the capped collection fanout exchanges publish to. Default `messages.broadcast`. */
  broadcast_collection?: string;
  /** kombu `queues_collection`: queue declarations, written with `ttl` only. Default `messages.queues`. */
  queues_collection?: string;
  /**
   * cq's: **seconds** a taken, unacked message stays leased after the last renewal. Its consumer's
   * transport renews its leases every third of this while it runs, so only a consumer that died
   * (or stalled that long) loses them; any process's sweep then puts the messages back. Default 30.
   */
  visibility_timeout?: number;
  /** Longest sleep between polls of an idle queue, **seconds** (kombu `polling_interval`; kombu's default is 1). Default 0.1. */
  polling_interval?: number;
}

/** The collection names the transport uses. */
export interface CollectionNames {
  messages: string;
  routing: string;
  broadcast: string;
  queues: string;
}

/** Everything the transport reads from its URL and options. */
export interface ResolvedMongoOptions {
  /** The connection string handed to the driver (credentials included: never print it). */
  connectionString: string;
  /** Driver options from the transport options (`tls`, `connectTimeoutMS`). */
  clientOptions: MongoClientOptions;
  database: string;
  /** `hosts/database`, for messages and the in-process store key; never a password. */
  where: string;
  collections: CollectionNames;
  ttl: boolean;
  cappedQueueSize: number;
  calcQueueSize: boolean;
  /** Seconds. */
  visibilityTimeout: number;
  /** Seconds. */
  pollingInterval: number;
}

/** URL schemes of the transport: kombu's `mongodb` and the DNS seed list form. */
export const MONGODB_SCHEMES = ['mongodb', 'mongodb+srv'] as const;

/**
 * Resolves the URL and options.
 * @throws MongoOptionError (a kombu ConfigurationError) for an option of the wrong type or range,
 *   a collection name MongoDB refuses, or a URL that is not `mongodb://` / `mongodb+srv://`.
 */
export function resolveOptions(url: BrokerUrl, options: MongoTransportOptions = {}): ResolvedMongoOptions {
  const scheme = url.transport.toLowerCase();
  if (!(MONGODB_SCHEMES as readonly string[]).includes(scheme)) {
    throw new MongoOptionError(`${JSON.stringify(redact(url.href))} is not a MongoDB broker URL: use mongodb://host:27017/database or mongodb+srv://cluster.example.net/database`);
  }
  const defaultHost = text(options, 'default_hostname', '127.0.0.1');
  const defaultPort = integer(options, 'default_port', 27017, 1);
  if (defaultPort > 65535) throw new MongoOptionError(`mongodb transport option default_port must be 1-65535, got ${defaultPort}`);
  const { userinfo, hosts, path, query } = splitUrl(url.href);
  const srv = scheme === 'mongodb+srv';
  let hostList = hosts === '' ? `${defaultHost}:${defaultPort}` : hosts;
  if (!srv && !hostList.includes(',') && !/:\d+$/.test(hostList)) hostList = `${hostList}:${defaultPort}`;
  const database = path === '' || path === '/' ? text(options, 'default_database', 'kombu_default') : decode(path);
  if (/[/\\. "$\0]/.test(database)) throw new MongoOptionError(`MongoDB database name ${JSON.stringify(database)} in the broker URL has a character MongoDB refuses (/\\. "$)`);
  const clientOptions: MongoClientOptions = {};
  const connectTimeout = options.connect_timeout;
  if (connectTimeout !== undefined && connectTimeout !== null) clientOptions.connectTimeoutMS = Math.round(seconds(options, 'connect_timeout', 0) * 1000);
  if (flag(options, 'ssl', false) && !/(^|&)(tls|ssl)=/i.test(query)) clientOptions.tls = true;
  return {
    connectionString: `${scheme}://${userinfo}${hostList}/${path === '/' ? '' : path}${query ? `?${query}` : ''}`,
    clientOptions,
    database,
    where: `${hostList}/${database}`,
    collections: {
      messages: collection(options, 'messages_collection', 'messages'),
      routing: collection(options, 'routing_collection', 'messages.routing'),
      broadcast: collection(options, 'broadcast_collection', 'messages.broadcast'),
      queues: collection(options, 'queues_collection', 'messages.queues'),
    },
    ttl: flag(options, 'ttl', false),
    cappedQueueSize: integer(options, 'capped_queue_size', 100000, 4096),
    calcQueueSize: flag(options, 'calc_queue_size', true),
    visibilityTimeout: positiveSeconds(options, 'visibility_timeout', 30),
    pollingInterval: seconds(options, 'polling_interval', 0.1),
  };
}

/** The parts of a MongoDB URL as written: `user:pass@` (or ''), the host list, the path without its `/`, the query. */
function splitUrl(href: string): { userinfo: string; hosts: string; path: string; query: string } {
  let rest = href.trim().replace(/^[^:]+:\/\//, '');
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf('/', rest.lastIndexOf('@') + 1);
  const netloc = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  const at = netloc.lastIndexOf('@');
  return { userinfo: at >= 0 ? netloc.slice(0, at + 1) : '', hosts: at >= 0 ? netloc.slice(at + 1) : netloc, path, query };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function text(options: Record<string, unknown>, key: string, fallback: string): string {
  const value = options[key] ?? fallback;
  if (typeof value !== 'string' || value === '') throw new MongoOptionError(`mongodb transport option ${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/** A collection name MongoDB accepts: not empty, no `$` or NUL, not `system.*`. */
function collection(options: Record<string, unknown>, key: string, fallback: string): string {
  const name = text(options, key, fallback);
  if (/[$\0]/.test(name) || name.startsWith('system.')) {
    throw new MongoOptionError(`mongodb transport option ${key} ${JSON.stringify(name)} is not a collection name MongoDB accepts (no $, not system.*)`);
  }
  return name;
}

function flag(options: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = options[key] ?? fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  throw new MongoOptionError(`mongodb transport option ${key} must be true or false, got ${JSON.stringify(value)}`);
}

function seconds(options: Record<string, unknown>, key: string, fallback: number): number {
  const value = options[key] ?? fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new MongoOptionError(`mongodb transport option ${key} must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

function positiveSeconds(options: Record<string, unknown>, key: string, fallback: number): number {
  const n = seconds(options, key, fallback);
  if (n === 0) throw new MongoOptionError(`mongodb transport option ${key} must be a number of seconds > 0, got 0`);
  return n;
}

function integer(options: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const value = options[key] ?? fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new MongoOptionError(`mongodb transport option ${key} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}
