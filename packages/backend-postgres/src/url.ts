/**
 * PostgreSQL result backend URLs, Celery's `db+` form of SQLAlchemy URLs:
 * `db+postgresql://user:password@host:port/database?sslmode=require&application_name=w1`, also with
 * a Python driver (`db+postgresql+psycopg2://…`, ignored) or `db+postgres://`. What follows `://` is
 * libpq's URL form, handed to pg as its connection string: query parameters such as `sslmode`,
 * `sslrootcert`, `application_name`, `options` or `host=/var/run/postgresql` (a Unix socket) work.
 */
import { parseDialectUrl, type DatabaseUrl } from '@cq/backend';
import { PostgresUrlError } from './errors.js';

/** The URL schemes (before `://`) this package serves. */
export const POSTGRES_SCHEMES = ['db+postgresql', 'db+postgres'] as const;

/** A parsed URL and the pg connection string for it. */
export interface PostgresUrl extends DatabaseUrl {
  connectionString: string;
  /** host:port/database, for messages and in-process wake-ups. */
  identity: string;
}

/**
 * Reads a PostgreSQL result backend URL. Pure.
 * @throws PostgresUrlError for another scheme or a malformed URL.
 */
export function parsePostgresUrl(url: string): PostgresUrl {
  const parsed = parseDialectUrl(url, {
    dialects: ['postgresql', 'postgres'], name: 'PostgreSQL', form: 'db+postgresql://user:password@host:port/database', error: PostgresUrlError,
  });
  const rest = url.slice(url.indexOf('://') + 3);
  const host = parsed.query['host'] ?? parsed.host ?? 'localhost';
  return {
    ...parsed,
    connectionString: `postgresql://${rest}`,
    identity: `postgresql://${host}:${parsed.port ?? parsed.query['port'] ?? 5432}/${parsed.database ?? parsed.query['dbname'] ?? ''}`,
  };
}
