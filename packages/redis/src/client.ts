/**
 * The one ioredis client factory of cq: connection options from a parsed {@link RedisUrl} (address,
 * db, ACL user, password, TLS, timeouts), so the transport, the result backend and beat connect alike.
 *
 * TLS (`rediss://`): `ssl_cert_reqs` none turns certificate checks off (`rejectUnauthorized: false`);
 * `ssl_check_hostname` false keeps the chain check but not the name check; `ssl_ca_certs`,
 * `ssl_certfile`, `ssl_keyfile` are PEM files read when the options are built. SNI names the host
 * unless it is an IP address.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisConfigurationError } from './errors.js';
import type { RedisUrl } from './url.js';

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
  if (url.path !== null) out.path = url.path;
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
 * through the command that fails, and ioredis reconnects by itself.
 * @throws RedisConfigurationError when a TLS file cannot be read.
 */
export function createRedisClient(url: RedisUrl, options: RedisClientOptions = {}): Redis {
  const client = new Redis(redisClientOptions(url, options));
  client.on('error', () => undefined);
  return client;
}

/**
 * Connects a lazy client (see {@link createRedisClient}). Rejects with the reason ioredis reported as
 * an `error` event (a refused certificate, WRONGPASS, ECONNREFUSED), which `connect()` alone hides
 * behind "Connection is closed.".
 */
export async function connectRedisClient(client: Redis): Promise<void> {
  let reason: unknown;
  const onError = (err: unknown): void => { reason ??= err; };
  client.on('error', onError);
  try {
    await client.connect();
  } catch (err) {
    throw reason ?? err;
  } finally {
    client.off('error', onError);
  }
}

function tlsOptions(url: RedisUrl): ConnectionOptions {
  const tls = url.tls!;
  const out: ConnectionOptions = { rejectUnauthorized: tls.certReqs !== 'none' };
  if (url.path === null && isIP(url.host) === 0) out.servername = url.host;
  if (!tls.checkHostname) out.checkServerIdentity = () => undefined;
  if (tls.caCertsFile) out.ca = readPem(tls.caCertsFile, 'ssl_ca_certs', url);
  if (tls.certFile) out.cert = readPem(tls.certFile, 'ssl_certfile', url);
  if (tls.keyFile) out.key = readPem(tls.keyFile, 'ssl_keyfile', url);
  return out;
}

function readPem(file: string, setting: string, url: RedisUrl): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new RedisConfigurationError(
      `${setting} ${JSON.stringify(file)} for ${url.where} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): fix the path in the URL or the TLS settings`,
      { cause: err },
    );
  }
}
