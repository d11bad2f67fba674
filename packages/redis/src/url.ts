/**
 * The one parser of Redis URLs in cq, for the broker (kombu `kombu/transport/redis.py`
 * `Channel._connparams`), the result backend (Celery `celery/backends/redis.py`
 * `RedisBackend._params_from_url`) and beat's lock.
 *
 * ```
 * redis://[[user]:password@]host[:port][/db][?options]    TCP; defaults localhost, 6379, db 0
 * rediss://…                                              TLS, with the ssl_* options below
 * redis+socket:///path/to/redis.sock[?virtual_host=db]    Unix socket (kombu and Celery)
 * socket:///path…  unix:///path…                          the same (Celery's inner form; redis-py's)
 * sentinel://[[user]:password@]host[:port][/db];sentinel://…   Redis Sentinel (kombu, Celery): see `sentinel.ts`
 * redis+cluster://[[user]:password@]host:port,host:port…     Redis Cluster (cq only): see `cluster.ts`
 * ```
 *
 * User and password are URL-decoded (`p%40ss` is `p@ss`); a user name logs in with Redis 6 ACLs.
 * Query options (names as in Celery, kombu and redis-py):
 * - `db`, `virtual_host` — the db number; they win over the path (sockets have no other place for it);
 * - `socket_timeout`, `socket_connect_timeout` — seconds (fractions allowed), kept as ms
 *   (`socketTimeoutMs`, `socketConnectTimeoutMs`) for ioredis;
 * - `ssl_cert_reqs`, `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`, `ssl_check_hostname` — see
 *   `tls.ts`; only with `rediss://` (Celery refuses them on `redis://` too);
 * - `health_check_interval`, `max_connections`, `retry_on_timeout`, `socket_keepalive`,
 *   `client_name`, `protocol` — accepted and ignored (ioredis keeps one connection and reconnects).
 * Any other option, a bad value, or a scheme that is not Redis fails with
 * {@link RedisConfigurationError}, naming the fix; messages show the URL without its password.
 */
import { parseUrl, redact, type BrokerUrl } from '@cq/kombu';
import { RedisConfigurationError } from './errors.js';
import { parseClusterUrl, type RedisCluster } from './cluster.js';
import { parseSentinelUrl, type RedisSentinel } from './sentinel.js';
import { hasTlsSettings, resolveTls, TLS_KEYS, type RedisTls, type RedisTlsSettings } from './tls.js';

/** Where and how to connect, from a Redis URL. */
export interface RedisUrl {
  /** The scheme as written, lower case: `redis`, `rediss`, `redis+socket`, `socket` or `unix`. */
  scheme: string;
  /** TCP host (default `localhost`); unused when {@link path} is set. */
  host: string;
  /** TCP port (default 6379); unused when {@link path} is set. */
  port: number;
  /** Unix socket path, or null for TCP. */
  path: string | null;
  /** Database number, default 0. */
  db: number;
  /** ACL user name (Redis 6+), or null. */
  username: string | null;
  /** Decoded password, or null. */
  password: string | null;
  /** TLS settings for `rediss://`, null otherwise. */
  tls: RedisTls | null;
  /** `socket_timeout` in ms: a connection waiting longer for a reply is dropped and reconnects. Null: none. */
  socketTimeoutMs: number | null;
  /** `socket_connect_timeout` in ms. Null: the client's default (ioredis: 10 s). */
  socketConnectTimeoutMs: number | null;
  /** `host:port/db` or `unix:/path?db=n`, for messages: never the password. */
  where: string;
  /** The setting that holds this URL (`broker_url`, `result_backend`), named when the login fails. */
  urlSetting: string;
  /** Set for `sentinel://` URLs only: the Sentinels and the master's name (host/port are the first Sentinel's). */
  sentinel?: RedisSentinel;
  /** Set for `redis+cluster://` URLs only: the seed nodes (host/port/db are the first node's, db 0). */
  cluster?: RedisCluster;
}

/** What a URL cannot say (Celery's `broker_use_ssl` / `redis_backend_use_ssl`), and how to name things. */
export interface ParseRedisUrlOptions {
  /**
   * TLS settings merged over the URL's `ssl_*` options; they need `rediss://` unless `tlsOverRedis`.
   * `true` (Celery's `broker_use_ssl = True`) adds nothing: TLS comes from the scheme, as in kombu.
   */
  tls?: RedisTlsSettings | boolean | null;
  /**
   * kombu's broker rule: a `tls` dict turns TLS on for a `redis://` URL too. Default false: refused,
   * as Celery's result backend refuses `redis_backend_use_ssl` with `redis://`.
   */
  tlsOverRedis?: boolean;
  /** Celery's name of the `tls` dict, e.g. `broker_use_ssl`, used in messages. Default: bare `ssl_*` keys. */
  tlsSetting?: string;
  /** Celery's name of the URL's setting, e.g. `broker_url`, used in messages. Default `the Redis URL`. */
  urlSetting?: string;
  /**
   * Celery's `broker_transport_options` / `result_backend_transport_options`: `sentinel://` reads
   * `master_name` and `sentinel_kwargs` from it. Default `{}`.
   */
  transportOptions?: Readonly<Record<string, unknown>>;
  /** The name of that setting, for messages. Default `the transport options`. */
  transportOptionsSetting?: string;
}

const TCP_SCHEMES = new Set(['redis', 'rediss']);
const SOCKET_SCHEMES = new Set(['redis+socket', 'socket', 'unix']);
const IGNORED = new Set(['health_check_interval', 'max_connections', 'retry_on_timeout', 'socket_keepalive', 'client_name', 'protocol']);
const KNOWN = ['db', 'virtual_host', 'socket_timeout', 'socket_connect_timeout', ...TLS_KEYS, ...IGNORED];
const FORMS = 'redis://[[user]:password@]host[:port][/db], rediss://…, redis+socket:///path/to/redis.sock?virtual_host=<db>, or sentinel://host:26379;sentinel://…';

/**
 * Parses a Redis URL (a string, or one @cq/kombu already parsed: its `href` is read).
 * @throws RedisConfigurationError for another scheme, a malformed URL, a db that is not a number,
 *   an unknown query option, a bad timeout or TLS value, or TLS settings on a `redis://` URL.
 */
export function parseRedisUrl(url: string | BrokerUrl, options: ParseRedisUrlOptions = {}): RedisUrl {
  const href = typeof url === 'string' ? url : url.href;
  if (/^\s*sentinel:\/\//i.test(href)) return parseSentinelUrl(href.trim(), options, parseRedisUrl);
  if (/^\s*redis\+cluster:\/\//i.test(href)) return parseClusterUrl(href.trim(), options, parseRedisUrl);
  const shown = JSON.stringify(redact(href));
  let parts: BrokerUrl;
  try {
    parts = parseUrl(href);
  } catch (err) {
    throw new RedisConfigurationError(`invalid Redis URL ${shown}: expected ${FORMS}`, { cause: err });
  }
  const { transport: scheme, query } = parts;
  const socket = SOCKET_SCHEMES.has(scheme);
  if (!socket && !TCP_SCHEMES.has(scheme)) throw new RedisConfigurationError(`${shown} is not a Redis URL: expected ${FORMS}`);
  for (const key of Object.keys(query)) {
    if (!KNOWN.includes(key)) throw new RedisConfigurationError(`unknown option ${key} in Redis URL ${shown} (known: ${KNOWN.join(', ')})`);
  }

  let path: string | null = null;
  let dbText = query['db'] ?? query['virtual_host'];
  if (socket) {
    if (parts.hostname || parts.port || !parts.virtualHost) {
      throw new RedisConfigurationError(`the Redis socket URL ${shown} needs an absolute path after three slashes, e.g. redis+socket:///var/run/redis.sock?virtual_host=1`);
    }
    path = `/${parts.virtualHost.replace(/^\/+/, '')}`;
  } else {
    dbText ??= (parts.virtualHost ?? '').replace(/^\/+|\/+$/g, '');
  }
  dbText = dbText === undefined || dbText === '' ? '0' : dbText;
  if (!/^\d+$/.test(dbText)) {
    throw new RedisConfigurationError(`the database in Redis URL ${shown} must be a number, got ${JSON.stringify(dbText)}: use redis://host:6379/<db number>`);
  }
  const db = Number(dbText);

  const dict = typeof options.tls === 'object' ? options.tls : null;
  const urlSetting = options.urlSetting ?? 'the Redis URL';
  const upgraded = !socket && options.tlsOverRedis === true && hasTlsSettings(dict);
  if (scheme !== 'rediss' && !upgraded && (hasTlsSettings(query) || hasTlsSettings(dict))) {
    throw new RedisConfigurationError(`TLS settings (ssl_*) were given for ${shown}, which does not use TLS: use a rediss:// URL`);
  }
  const naming = { setting: options.tlsSetting ?? null, urlSetting };
  const tls = scheme === 'rediss' || upgraded ? resolveTls(query, dict, shown, naming) : null;
  const host = parts.hostname || 'localhost';
  const port = parts.port ?? 6379;
  return {
    scheme, host, port, path, db, tls,
    username: parts.userid, password: parts.password,
    socketTimeoutMs: seconds(query, 'socket_timeout', shown),
    socketConnectTimeoutMs: seconds(query, 'socket_connect_timeout', shown),
    where: path === null ? `${host.includes(':') ? `[${host}]` : host}:${port}/${db}` : `unix:${path}?db=${db}`,
    urlSetting,
  };
}

/** A timeout option in seconds, returned in ms; null when absent. */
function seconds(query: Readonly<Record<string, string>>, key: string, shown: string): number | null {
  const text = query[key];
  if (text === undefined || text === '') return null;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RedisConfigurationError(`${key} in Redis URL ${shown} must be a number of seconds above 0, got ${JSON.stringify(text)}`);
  }
  return Math.round(value * 1000);
}
