/**
 * The memjs client of the memcached backend, set up so it behaves as Python Celery's pylibmc client
 * does on the same servers: a key goes to the server libmemcached's defaults pick (one-at-a-time
 * hash modulo the number of servers, in the order given), stored items carry pylibmc's flags, and
 * TTLs follow memcached's 30-day rule. memjs speaks memcached's binary protocol; pylibmc (by
 * default) the text protocol; memcached 1.6 serves both on one port and both see the same items.
 */
import memjs from 'memjs';
import { MemcachedOptionsError } from './errors.js';
import type { MemcachedServer } from './url.js';

/**
 * Celery's `cache_backend_options`: the keyword arguments of `pylibmc.Client`. Times follow
 * libmemcached's units (behaviors in **ms**).
 */
export interface CacheBackendOptions {
  /** SASL user (pylibmc `username`, which needs `binary=True` there). Default none. */
  username?: string;
  /** SASL password (pylibmc `password`). Default none. */
  password?: string;
  /** pylibmc's protocol switch. Ignored: cq always speaks the binary protocol; items are the same. */
  binary?: boolean;
  /**
   * libmemcached behaviors. Honoured: `connect_timeout` (ms, default 4000), `_poll_timeout` (ms, the
   * wait for a reply, default 5000), `tcp_keepalive`. Refused (MemcachedOptionsError), because they
   * move keys to other servers than cq picks: `hash` other than `default`, `distribution` other than
   * `modula`, `ketama`, `ketama_weighted`, `_sort_hosts`. Others tune libmemcached's I/O and are ignored.
   */
  behaviors?: Record<string, unknown>;
}

/** Behaviors that change which server holds a key, and the value cq's placement matches. */
const PLACEMENT: Readonly<Record<string, unknown>> = { hash: 'default', distribution: 'modula', ketama: 0, ketama_weighted: 0, _sort_hosts: 0 };
const KNOWN_OPTIONS = new Set(['username', 'password', 'binary', 'behaviors']);

/** memcached treats an expiration above 30 days (in seconds) as a unix time. */
export const MAX_RELATIVE_EXPTIME = 60 * 60 * 24 * 30;

/**
 * libmemcached's default key hash (`hashkit_one_at_a_time`) over the key's UTF-8 bytes. Bytes from
 * 0x80 are sign-extended first, as the C code reads them through a signed `char` on x86.
 */
export function oneAtATime(key: string): number {
  let value = 0;
  for (const byte of Buffer.from(key, 'utf8')) {
    value = (value + (byte >= 0x80 ? (byte | 0xffffff00) >>> 0 : byte)) >>> 0;
    value = (value + (value << 10)) >>> 0;
    value = (value ^ (value >>> 6)) >>> 0;
  }
  value = (value + (value << 3)) >>> 0;
  value = (value ^ (value >>> 11)) >>> 0;
  return (value + (value << 15)) >>> 0;
}

/** The index of the server holding `key` among `count` servers (libmemcached's modula distribution). */
export function serverIndex(key: string, count: number): number {
  return count <= 1 ? 0 : oneAtATime(key) % count;
}

/**
 * The memcached `exptime` for a TTL in seconds: 0 for never (null); up to 30 days the TTL itself
 * (rounded up, at least 1); beyond, the unix time `now + ttl`, as memcached reads larger values as
 * dates. (Celery passes its `result_expires` as is, so above 30 days its items expire at once.)
 */
export function memcachedExptime(ttlSeconds: number | null, nowMs: number = Date.now()): number {
  if (ttlSeconds === null) return 0;
  const ttl = Math.max(1, Math.ceil(ttlSeconds));
  return ttl <= MAX_RELATIVE_EXPTIME ? ttl : Math.floor(nowMs / 1000) + ttl;
}

/**
 * Checks Celery's `cache_backend_options` against what cq honours. Pure.
 * @throws MemcachedOptionsError for an option pylibmc does not take or a behavior that moves keys.
 */
export function checkCacheOptions(options: CacheBackendOptions): void {
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw new MemcachedOptionsError(`cache_backend_options.${name} is not a pylibmc.Client option: use username, password, binary or behaviors`);
    }
  }
  for (const [name, value] of Object.entries(options.behaviors ?? {})) {
    if (name in PLACEMENT && value !== PLACEMENT[name] && !(value === false && PLACEMENT[name] === 0)) {
      throw new MemcachedOptionsError(
        `cache_backend_options.behaviors.${name} = ${JSON.stringify(value)} is not supported: cq places keys as libmemcached's defaults do ` +
          `(one-at-a-time hash, modula distribution), so it must be ${JSON.stringify(PLACEMENT[name])} or left out`,
      );
    }
  }
}

/**
 * A memjs client on `servers` that writes `flags` on every SET, places keys as libmemcached does,
 * logs nothing (errors reach the caller) and retries a failed request once after 200 ms.
 * @throws MemcachedOptionsError via {@link checkCacheOptions}.
 */
export function createClient(servers: readonly MemcachedServer[], flags: number, options: CacheBackendOptions = {}): memjs.Client {
  checkCacheOptions(options);
  const behaviors = options.behaviors ?? {};
  const ms = (name: string, fallback: number) => (typeof behaviors[name] === 'number' && behaviors[name] > 0 ? behaviors[name] : fallback);
  const serverOptions: memjs.ServerOptions = {
    conntimeout: ms('connect_timeout', 4000) / 1000,
    timeout: ms('_poll_timeout', 5000) / 1000,
    keepAlive: Boolean(behaviors['tcp_keepalive']),
  };
  const list = servers.map((s) => new memjs.Server(s.host, s.port, options.username, options.password, serverOptions));
  const client = new memjs.Client(list, {
    retries: 2, retry_delay: 0.2, failover: false, expires: 0,
    logger: { log: () => undefined },
    serializer: {
      // SET/ADD/REPLACE carry [flags u32][exptime u32]: put pylibmc's flags in.
      serialize: (opcode, value, extras) => {
        if (opcode < 1 || opcode > 3) return { value, extras };
        const withFlags = Buffer.from(extras);
        withFlags.writeUInt32BE(flags, 0);
        return { value, extras: withFlags };
      },
      deserialize: (_opcode, value, extras) => ({ value, extras }),
    },
  });
  // @types/memjs types getServer as returning a string; memjs uses the number as an index.
  (client as unknown as { getServer: (key: string) => number }).getServer = (key) => serverIndex(key, list.length);
  return client;
}
