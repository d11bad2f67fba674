/**
 * The one ioredis client factory of cq: connection options from a parsed {@link RedisUrl} (address,
 * db, ACL user, password, TLS, timeouts), so the transport, the result backend and beat connect alike.
 *
 * Sentinel (`sentinel://`): the master is looked up through the Sentinels (see {@link sentinelOptions}).
 *
 * TLS (`rediss://`): `ssl_cert_reqs` none turns certificate checks off (`rejectUnauthorized: false`);
 * `ssl_check_hostname` false keeps the chain check but not the name check; `ssl_ca_certs`,
 * `ssl_certfile`, `ssl_keyfile` are PEM files read when the options are built. SNI names the host
 * unless it is an IP address.
 *
 * Fail fast: ioredis reconnects forever by default. A client made here stops at the first failure
 * no reconnect can fix (a refused certificate, WRONGPASS: see `failure.ts`; a reset right after a
 * TLS handshake is probed once to tell a refused client certificate from a restart: `tls-probe.ts`);
 * its pending and later commands then reject, and {@link redisFailure} turns their "Connection is
 * closed." into that typed error.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { RedisConfigurationError } from './errors.js';
import { redisFatalError } from './failure.js';
import { isResetAfterHandshake, probeTls } from './tls-probe.js';
import type { RedisSentinel } from './sentinel.js';
import type { RedisUrl } from './url.js';

/** The fatal error that ended each client made by {@link createRedisClient}. */
const fatal = new WeakMap<Redis, Error>();
/** A TLS probe in progress for a client whose server reset the connection (see `tls-probe.ts`). */
const probes = new WeakMap<Redis, Promise<void>>();

/** How one client is used, beyond what the URL says. */
export interface RedisClientOptions {
  /** `CLIENT SETNAME`, e.g. `cq-blocking`, so `CLIENT LIST` tells the connections apart. */
  connectionName?: string;
  /**
   * The connection waits in blocking commands (BRPOP): `socket_timeout` is not applied to it, as a
   * wait longer than the timeout would otherwise drop it. Default false.
   */
  blocking?: boolean;
  /** ioredis options over the URL's (e.g. `enableAutoPipelining`, `maxRetriesPerRequest`, `tls`). */
  redis?: RedisOptions;
}

/**
 * The ioredis options for `url`: `lazyConnect` true (connect on the first command or `connect()`),
 * then what the URL says, then `options.redis`.
 * @throws RedisConfigurationError when a TLS file cannot be read.
 */
export function redisClientOptions(url: RedisUrl, options: RedisClientOptions = {}): RedisOptions {
  const out: RedisOptions = { lazyConnect: true };
  if (url.sentinel) Object.assign(out, sentinelOptions(url.sentinel));
  else if (url.path !== null) out.path = url.path;
  else {
    out.host = url.host;
    out.port = url.port;
  }
  out.db = url.db;
  if (url.username) out.username = url.username;
  if (url.password) out.password = url.password;
  if (url.tls) out.tls = tlsOptions(url);
  if (url.socketConnectTimeoutMs !== null) out.connectTimeout = url.socketConnectTimeoutMs;
  if (url.socketTimeoutMs !== null && !options.blocking) out.socketTimeout = url.socketTimeoutMs;
  if (options.connectionName) out.connectionName = options.connectionName;
  return { ...out, ...options.redis };
}

/**
 * A new ioredis client for `url` (see {@link redisClientOptions}), not yet connected unless
 * `options.redis.lazyConnect` is false. Its `error` events are swallowed: failures reach the caller
 * through the command that fails, and ioredis reconnects by itself (with `options.redis.retryStrategy`,
 * default ioredis's) — except after a TLS or authentication failure, which ends the client: see
 * {@link redisFailure}.
 * @throws RedisConfigurationError when a TLS file cannot be read.
 */
export function createRedisClient(url: RedisUrl, options: RedisClientOptions = {}): Redis {
  const resolved = redisClientOptions(url, options);
  if (url.cluster) return clusterClient(url, resolved);
  const retry = resolved.retryStrategy ?? ((times: number) => Math.min(times * 50, 2000));
  const client: Redis = new Redis({ ...resolved, retryStrategy: (times) => fatal.has(client) ? null : retry(times) });
  client.on('error', (err: unknown) => {
    if (fatal.has(client)) return;
    const reason = redisFatalError(err, url);
    if (reason) fatal.set(client, reason);
    else if (resolved.tls && !probes.has(client) && isResetAfterHandshake(err)) {
      const probe = probeTls(resolved.host ?? 'localhost', resolved.port ?? 6379, resolved.tls).then((seen) => {
        const refused = seen && redisFatalError(seen, url);
        // The next reconnect attempt fails and retryStrategy ends the client, rejecting pending commands.
        if (refused && !fatal.has(client)) fatal.set(client, refused);
      });
      probes.set(client, probe);
    }
  });
  client.on('ready', () => probes.delete(client)); // a later reset is probed again
  return client;
}

/**
 * An ioredis `Cluster` over the URL's seed nodes, each node connected with `resolved` (login,
 * timeouts, name). Returned typed as `Redis`: the callers use only commands both share, with every
 * multi-key command and script on keys of one slot (hash tags: see @cq/transport-redis `keys.ts`).
 */
function clusterClient(url: RedisUrl, resolved: RedisOptions): Redis {
  const { host: _host, port: _port, db: _db, lazyConnect: _lazy, enableAutoPipelining, ...redisOptions } = resolved;
  const client = new Cluster(url.cluster!.nodes.map((n) => ({ ...n })), { redisOptions, lazyConnect: true, enableAutoPipelining: enableAutoPipelining ?? false });
  client.on('error', (err: unknown) => {
    const reason = redisFatalError(err, url);
    if (reason && !fatal.has(client as unknown as Redis)) fatal.set(client as unknown as Redis, reason);
  });
  return client as unknown as Redis;
}

/**
 * What a failed command of `client` (made by {@link createRedisClient}) should report: the TLS or
 * authentication error that ended the client (kombu `TlsError` / `AuthenticationError`) when there
 * is one, else `err` as it came.
 */
export function redisFailure(client: Redis, err: unknown): unknown {
  return fatal.get(client) ?? err;
}

/**
 * Connects a lazy client (see {@link createRedisClient}). Rejects with the reason ioredis reported as
 * an `error` event (ECONNREFUSED, …), which `connect()` alone hides behind "Connection is closed.";
 * a refused certificate or password rejects with kombu's `TlsError` / `AuthenticationError`, naming
 * the setting to fix.
 */
export async function connectRedisClient(client: Redis): Promise<void> {
  let reason: unknown;
  const onError = (err: unknown): void => { reason ??= err; };
  client.on('error', onError);
  try {
    await client.connect();
  } catch (err) {
    await probes.get(client);
    throw fatal.get(client) ?? reason ?? err;
  } finally {
    client.off('error', onError);
  }
}

/**
 * ioredis's Sentinel mode: it asks the Sentinels (in order) for the master's address, checks the
 * server's role, and asks again on every reconnect, so a client follows a failover. A master demoted
 * while its connections stay up answers writes with READONLY: the client then reconnects (through
 * the Sentinels) and sends the command again. (ioredis's `failoverDetector` is not used: under
 * load it left clients closed for good.)
 */
function sentinelOptions(sentinel: RedisSentinel): RedisOptions {
  const out: RedisOptions = {
    sentinels: sentinel.hosts.map((h) => ({ ...h })), name: sentinel.masterName,
    reconnectOnError: (err) => (/^READONLY/.test(err.message) ? 2 : false),
  };
  if (sentinel.password) out.sentinelPassword = sentinel.password;
  if (sentinel.username) out.sentinelUsername = sentinel.username;
  return out;
}

function tlsOptions(url: RedisUrl): ConnectionOptions {
  const tls = url.tls!;
  const out: ConnectionOptions = { rejectUnauthorized: tls.certReqs !== 'none' };
  if (url.path === null && isIP(url.host) === 0) out.servername = url.host;
  if (!tls.checkHostname) out.checkServerIdentity = () => undefined;
  if (tls.caCertsFile) out.ca = readPem(tls.caCertsFile, tls.names.caCerts, url);
  if (tls.certFile) out.cert = readPem(tls.certFile, tls.names.certfile, url);
  if (tls.keyFile) out.key = readPem(tls.keyFile, tls.names.keyfile, url);
  return out;
}

function readPem(file: string, setting: string, url: RedisUrl): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new RedisConfigurationError(
      `${setting}: the file ${JSON.stringify(file)} (for ${url.where}) cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); fix the path`,
      { cause: err },
    );
  }
}
