/**
 * Redis Cluster URLs (cq's; neither kombu nor Celery has one):
 *
 * ```
 * redis+cluster://[[user]:password@]host:port,host:port,…[/0][?options]
 * ```
 *
 * The listed nodes are seeds: the client reads the slot map from the first that answers and follows
 * MOVED/ASK redirections. User, password and query options (`socket_timeout`, …) apply to every node;
 * a cluster has only db 0. TLS is not supported with a cluster yet.
 */
import { parseUrl, redact } from '@cq/kombu';
import { RedisConfigurationError } from './errors.js';
import type { ParseRedisUrlOptions, RedisUrl } from './url.js';

/** The seed nodes of a Redis Cluster. */
export interface RedisCluster {
  nodes: readonly { host: string; port: number }[];
}

/**
 * Parses a `redis+cluster://` URL; `parseOne` (the caller's parser of `redis://` URLs) reads the
 * credentials and options, as given for the first node.
 * @throws RedisConfigurationError for an empty node list, a db other than 0, or TLS settings.
 */
export function parseClusterUrl(href: string, options: ParseRedisUrlOptions, parseOne: (url: string, o: ParseRedisUrlOptions) => RedisUrl): RedisUrl {
  const shown = JSON.stringify(redact(href));
  const match = /^redis\+cluster:\/\/((?:[^@/?]*@)?)([^/?]*)(.*)$/is.exec(href);
  const list = (match?.[2] ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (!match || list.length === 0) throw new RedisConfigurationError(`${shown} names no node: use redis+cluster://host:port,host:port`);
  const nodes = list.map((node) => {
    const parsed = parseUrl(`redis://${node}`);
    return { host: parsed.hostname || 'localhost', port: parsed.port ?? 6379 };
  });
  if (options.tls && typeof options.tls === 'object' && Object.keys(options.tls).length > 0) {
    throw new RedisConfigurationError(`TLS settings were given for ${shown}: TLS with Redis Cluster is not supported by cq yet`);
  }
  const first = parseOne(`redis://${match[1]}${list[0]}${match[3]}`, { ...options, tls: null });
  if (first.db !== 0) throw new RedisConfigurationError(`${shown} names db ${first.db}: a Redis Cluster has only db 0`);
  const where = `cluster:${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return { ...first, scheme: 'redis+cluster', cluster: { nodes }, where };
}
