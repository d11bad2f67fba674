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

/** What {@link parseDialectUrl} accepts, and how it refuses the rest. */
export interface DialectUrlOptions {
  /** The SQLAlchemy dialects accepted, lowercase (`['postgresql', 'postgres']`). */
  dialects: readonly string[];
  /** The database as messages name it (`PostgreSQL`). */
  name: string;
  /** The form messages suggest (`db+postgresql://user:password@host:port/database`). */
  form: string;
  /** The store package's URL error, thrown for every refusal. */
  error: new (message: string, options?: { cause?: unknown }) => BackendConfigurationError;
}

/**
 * Splits a result backend URL that must be `db+<dialect>[+<driver>]://…` with one of
 * `options.dialects` (Celery's database backend URL for that store). Pure.
 * @throws options.error when `url` is not a database URL (`cause`: the error of
 *         {@link parseDatabaseUrl}), has no `db+` prefix or names another dialect; the message
 *         ends with `write <form> (Celery's database backend URL)`.
 */
export function parseDialectUrl(url: string, options: DialectUrlOptions): DatabaseUrl {
  const fix = `write ${options.form} (Celery's database backend URL)`;
  let parsed: DatabaseUrl;
  try {
    parsed = parseDatabaseUrl(url);
  } catch (err) {
    throw new options.error(`${(err as Error).message}; ${fix}`, { cause: err });
  }
  if (!/^db\+/i.test(url) || !options.dialects.includes(parsed.dialect)) {
    throw new options.error(`${JSON.stringify(redact(url))} is not a ${options.name} result backend URL: ${fix}`);
  }
  return parsed;
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/^([^:/?#]+:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
