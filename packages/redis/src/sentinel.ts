/**
 * Redis Sentinel URLs, as kombu's `sentinel://` transport (`kombu/transport/redis.py`
 * `SentinelChannel`) and Celery's `sentinel://` result backend (`celery/backends/redis.py`
 * `SentinelBackend`) read them:
 *
 * ```
 * sentinel://[[user]:password@]host[:port][/db][?options];sentinel://host2[:port2];…
 * broker_transport_options = {'master_name': 'mymaster', 'sentinel_kwargs': {'password': '…'}}
 * ```
 *
 * Each `;`-separated URL names one Sentinel (default port 26379, as kombu's `SentinelTransport`).
 * The first URL's user, password, db and query options are the *master's* (kombu passes them to
 * `Sentinel(...)` as `connection_kwargs`; Celery copies the first host's `db` and `password`); the
 * Sentinels' own credentials come only from `sentinel_kwargs` (`password`, `username`) in the
 * transport options, next to the required `master_name`. TLS (`ssl_*`) is not supported with Sentinel.
 */
import { parseUrl, redact } from '@cq/kombu';
import { RedisConfigurationError } from './errors.js';
import type { ParseRedisUrlOptions, RedisUrl } from './url.js';

/** Default port of a Sentinel (kombu `SentinelTransport.default_port`). */
export const SENTINEL_PORT = 26379;

/** Where the master of a Sentinel-managed group is found. */
export interface RedisSentinel {
  /** The Sentinels to ask, in the URL's order. */
  hosts: readonly { host: string; port: number }[];
  /** The monitored master's name (`master_name`). */
  masterName: string;
  /** `sentinel_kwargs.username` / `.password`: the Sentinels' own login, or null. */
  username: string | null;
  password: string | null;
}

/**
 * Parses a `sentinel://…;sentinel://…` URL. `parseOne` parses a plain `redis://` URL (the caller's
 * parser), used for the first URL's credentials, db and options.
 * @throws RedisConfigurationError without `master_name`, with TLS settings, or for a URL in the list
 *   that is not `sentinel://`.
 */
export function parseSentinelUrl(href: string, options: ParseRedisUrlOptions, parseOne: (url: string, o: ParseRedisUrlOptions) => RedisUrl): RedisUrl {
  const shown = JSON.stringify(redact(href));
  const setting = options.transportOptionsSetting ?? 'the transport options';
  const parts = href.split(';').map((p) => p.trim()).filter((p) => p !== '');
  const hosts = parts.map((part) => {
    if (!/^sentinel:\/\//i.test(part)) throw new RedisConfigurationError(`every URL of ${shown} must be sentinel://host:port (kombu's Sentinel list)`);
    const parsed = parseUrl(part);
    return { host: parsed.hostname || 'localhost', port: parsed.port ?? SENTINEL_PORT };
  });
  const transportOptions = options.transportOptions ?? {};
  const masterName = transportOptions['master_name'];
  if (typeof masterName !== 'string' || masterName === '') {
    throw new RedisConfigurationError(`${shown} needs the master's name: set ${setting} = {'master_name': '<name Sentinel monitors>'}`);
  }
  const kwargs = transportOptions['sentinel_kwargs'] ?? {};
  if (typeof kwargs !== 'object' || kwargs === null) throw new RedisConfigurationError(`${setting}.sentinel_kwargs must be a dict, e.g. {'password': '…'}`);
  const { password = null, username = null } = kwargs as { password?: unknown; username?: unknown };
  if ((password !== null && typeof password !== 'string') || (username !== null && typeof username !== 'string')) {
    throw new RedisConfigurationError(`${setting}.sentinel_kwargs.password and .username must be strings`);
  }
  const first = parseOne(parts[0]!.replace(/^sentinel:/i, 'redis:'), { ...options, tls: null });
  if (options.tls && typeof options.tls === 'object' && Object.keys(options.tls).length > 0) {
    throw new RedisConfigurationError(`TLS settings were given for ${shown}: TLS with Sentinel is not supported by cq yet`);
  }
  const sentinel: RedisSentinel = { hosts, masterName, username: username, password: password };
  const list = hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`).join(',');
  return { ...first, scheme: 'sentinel', host: hosts[0]!.host, port: hosts[0]!.port, sentinel, where: `sentinel:${masterName}@${list}/${first.db}` };
}
