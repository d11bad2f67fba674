/**
 * SQLAlchemy database URLs as Celery's `db+` result backend takes them: `db+<dialect>[+<driver>]://
 * [user[:password]@][host][:port][/database][?query]` (the `db+` prefix is Celery's; the rest is
 * SQLAlchemy's `make_url`). `<driver>` names a Python DB-API module (psycopg2, pymysql, mysqldb, …);
 * cq keeps it only to show it, each package using its own Node driver. User and password are
 * percent-decoded; a host in brackets is IPv6.
 */
import { BackendConfigurationError } from '../errors.js';

export interface DatabaseUrl {
  /** SQLAlchemy dialect: `postgresql`, `mysql`, `mariadb`, `sqlite`, … (lowercase). */
  dialect: string;
  /** The Python driver after `+` (`psycopg2`, `pymysql`), or null. Not used by cq. */
  driver: string | null;
  username: string | null;
  password: string | null;
  host: string | null;
  port: number | null;
  /** Database name (PostgreSQL, MySQL) or file path (SQLite), or null. */
  database: string | null;
  /** Query parameters, decoded; a repeated key keeps its last value. */
  query: Record<string, string>;
}

// SQLAlchemy's `_rfc_1738_quoted` pattern, with Celery's optional `db+`.
const PATTERN = /^(?:db\+)?([\w]+)(?:\+([\w]+))?:\/\/(?:([^:/]*)(?::([^@]*))?@)?(?:(?:\[([^/?]+)\]|([^/:?]+))?(?::([^/?]*))?)?(?:\/([^?]*))?(?:\?(.*))?$/i;

/**
 * Splits a database URL (see the module doc). Pure.
 * @throws BackendConfigurationError when `url` is not of that form or its port is not a number.
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const m = PATTERN.exec(url);
  if (!m) {
    throw new BackendConfigurationError(
      `${JSON.stringify(url)} is not a database URL: write db+<dialect>://user:password@host:port/database, e.g. db+postgresql://postgres@localhost/results`,
    );
  }
  const [, dialect, driver, user, password, ipv6, host, port, database, query] = m;
  if (port && !/^\d+$/.test(port)) throw new BackendConfigurationError(`the port of ${JSON.stringify(redact(url))} is not a number: ${JSON.stringify(port)}`);
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query ?? '')) params[key] = value;
  return {
    dialect: dialect!.toLowerCase(),
    driver: driver ? driver.toLowerCase() : null,
    username: user ? decodeURIComponent(user) : null,
    password: password !== undefined ? decodeURIComponent(password) : null,
    host: ipv6 ?? (host ? decodeURIComponent(host) : null),
    port: port ? Number(port) : null,
    database: database ? decodeURIComponent(database) : null,
    query: params,
  };
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/^([^:/?#]+:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
