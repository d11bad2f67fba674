/**
 * Result backend URLs, as Celery's Redis backend reads them (`RedisBackend._params_from_url`):
 * `redis://[[username]:password@]host[:port][/db][?ssl_cert_reqs=…]` and `rediss://…` for TLS.
 * Host defaults to `localhost`, port to 6379, db to 0. Other query parameters are ignored.
 */
import type { RedisOptions } from 'ioredis';
import { BackendConfigurationError } from '@cq/backend';
import { parseUrl, redact } from '@cq/kombu';

/** Used when a backend is created without a URL (Celery's `redis://` defaults). */
export const DEFAULT_REDIS_URL = 'redis://localhost:6379/0';

const EXAMPLE = 'e.g. redis://:password@localhost:6379/0 or rediss://localhost:6380/1';

/**
 * The ioredis connection options a backend URL names: host, port, db, username, password, and
 * `tls` for `rediss://` (`?ssl_cert_reqs=none` / `CERT_NONE` turns certificate checks off).
 * @throws BackendConfigurationError for another scheme, a malformed URL or a db that is not a number.
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: ReturnType<typeof parseUrl>;
  try {
    parsed = parseUrl(url);
  } catch (err) {
    throw new BackendConfigurationError(`invalid Redis result backend URL ${JSON.stringify(redact(url))} (${EXAMPLE})`, { cause: err });
  }
  if (parsed.transport !== 'redis' && parsed.transport !== 'rediss') {
    throw new BackendConfigurationError(
      `the Redis result backend takes redis:// or rediss:// URLs, got ${JSON.stringify(redact(url))} (${EXAMPLE})`,
    );
  }
  const dbText = (parsed.virtualHost ?? '').replace(/^\/+|\/+$/g, '') || '0';
  if (!/^\d+$/.test(dbText)) {
    throw new BackendConfigurationError(
      `the database in Redis result backend URL ${JSON.stringify(redact(url))} must be a number, got ${JSON.stringify(dbText)} (${EXAMPLE})`,
    );
  }
  const host = parsed.hostname ?? 'localhost';
  const options: RedisOptions = { host, port: parsed.port ?? 6379, db: Number(dbText) };
  if (parsed.userid) options.username = parsed.userid;
  if (parsed.password) options.password = parsed.password;
  if (parsed.transport === 'rediss') {
    const certReqs = (parsed.query.ssl_cert_reqs ?? '').toLowerCase().replace(/^cert_/, '');
    options.tls = certReqs === 'none' || certReqs === 'optional' ? { servername: host, rejectUnauthorized: false } : { servername: host };
  }
  return options;
}
