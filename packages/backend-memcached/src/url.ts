/**
 * Memcached result backend URLs, as Celery's `CacheBackend` reads them (`celery/backends/cache.py`):
 * `cache+memcached://host:port/`, several servers separated by `;`
 * (`cache+memcached://10.0.0.1:11211;10.0.0.2:11211/`), also `cache+memcache://` and
 * `cache+pylibmc://` (the same client), or the bare alias `cache` with the server list in the
 * `cache_backend` setting (`cache_backend = 'memcached://127.0.0.1:11211/'`). A server is `host`,
 * `host:port` (default port 11211) or `[ipv6]:port`, in the order given: the order decides which
 * server holds a key, as in libmemcached.
 */
import { MemcachedUrlError } from './errors.js';

/** The URL schemes (before `://`, or the bare alias `cache`) this package serves. */
export const MEMCACHED_SCHEMES = ['cache+memcached', 'cache+memcache', 'cache+pylibmc', 'cache'] as const;

/** Celery's memcached client names (`CacheBackend.backends`), after `cache+` or in `cache_backend`. */
const CLIENT_NAMES = new Set(['memcached', 'memcache', 'pylibmc']);

const DEFAULT_PORT = 11211;
const FORM = 'cache+memcached://host:port/ (servers separated by ";")';

/** One memcached server. */
export interface MemcachedServer {
  host: string;
  port: number;
}

/**
 * The cache URL a result backend URL stands for: `cache+memcached://h/` → `memcached://h/`; the bare
 * alias `cache` → the `cache_backend` setting (Celery: `result_backend = 'cache'` takes the servers
 * from `cache_backend`). Pure.
 * @throws MemcachedUrlError for `cache` without a `cache_backend` setting, or another scheme.
 */
export function cacheUrl(url: string, cacheBackend?: unknown): string {
  const scheme = url.includes('://') ? url.slice(0, url.indexOf('://')).toLowerCase() : url.replace(/:$/, '').toLowerCase();
  if (scheme === 'cache') {
    if (typeof cacheBackend !== 'string' || cacheBackend === '') {
      throw new MemcachedUrlError(`result_backend "cache" takes its servers from the cache_backend setting, which is not set: set cache_backend = 'memcached://host:port/' or use ${FORM}`);
    }
    return cacheBackend;
  }
  if (!scheme.startsWith('cache+')) throw new MemcachedUrlError(`not a memcached result backend URL: ${JSON.stringify(url)}; use ${FORM}`);
  return url.slice('cache+'.length);
}

/**
 * The servers of a memcached cache URL (`memcached://h1:11211;h2/`, the part after `cache+`), in
 * order. Pure.
 * @throws MemcachedUrlError for another client name, no server, a Unix socket or UDP server, or a bad port.
 */
export function parseMemcachedServers(url: string): MemcachedServer[] {
  const at = url.indexOf('://');
  const client = at === -1 ? url : url.slice(0, at).toLowerCase();
  if (!CLIENT_NAMES.has(client)) {
    throw new MemcachedUrlError(`unknown cache client ${JSON.stringify(client)} in ${JSON.stringify(url)}: use ${FORM}`);
  }
  const list = at === -1 ? '' : url.slice(at + 3).replace(/\/+$/, '');
  const specs = list.split(';').map((s) => s.trim()).filter(Boolean);
  if (specs.length === 0) throw new MemcachedUrlError(`no memcached server in ${JSON.stringify(url)}: use ${FORM}`);
  return specs.map((spec) => parseServer(spec, url));
}

function parseServer(spec: string, url: string): MemcachedServer {
  if (spec.includes('/') || spec.toLowerCase().startsWith('udp:')) {
    throw new MemcachedUrlError(`memcached server ${JSON.stringify(spec)} in ${JSON.stringify(url)}: cq connects over TCP only (no Unix socket or UDP); use host:port`);
  }
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(spec);
  const [host, port] = v6 ? [v6[1]!, v6[2]] : spec.includes(':') ? [spec.slice(0, spec.lastIndexOf(':')), spec.slice(spec.lastIndexOf(':') + 1)] : [spec, undefined];
  const number = port === undefined ? DEFAULT_PORT : Number(port);
  if (!host || !Number.isInteger(number) || number < 1 || number > 65535) {
    throw new MemcachedUrlError(`bad memcached server ${JSON.stringify(spec)} in ${JSON.stringify(url)}: use host:port with a port from 1 to 65535`);
  }
  return { host, port: number };
}

/** True when a cache URL names Celery's in-process cache (`memory://`), which @cq/backend serves. */
export function isMemoryCache(url: string): boolean {
  return /^memory(:\/\/|$)/i.test(url);
}
