/**
 * MySQL and MariaDB result backend URLs, Celery's `db+` form of SQLAlchemy URLs:
 * `db+mysql://user:password@host:port/database?charset=utf8mb4`, `db+mariadb://…`, and the same with
 * a Python driver, `db+mysql+pymysql://`, `db+mysql+mysqldb://` (ignored: cq uses mysql2). Query
 * parameters read: `charset`, `unix_socket` (PyMySQL's name for a socket path); others are ignored
 * (pass mysql2 options through `database_engine_options.connect_args` or the `mysql` option).
 */
import { parseDialectUrl, type DatabaseUrl } from '@cq/backend';
import { MysqlUrlError } from './errors.js';

/** The URL schemes (before `://`) this package serves. */
export const MYSQL_SCHEMES = ['db+mysql', 'db+mariadb'] as const;

/** A parsed URL, the mysql2 connection options it gives, and its identity. */
export interface MysqlUrl extends DatabaseUrl {
  connection: { host?: string; port?: number; user?: string; password?: string; database?: string; charset?: string; socketPath?: string };
  /** host:port/database, for messages and in-process wake-ups. */
  identity: string;
}

/**
 * Reads a MySQL/MariaDB result backend URL. Pure.
 * @throws MysqlUrlError for another scheme or a malformed URL.
 */
export function parseMysqlUrl(url: string): MysqlUrl {
  const parsed = parseDialectUrl(url, {
    dialects: ['mysql', 'mariadb'], name: 'MySQL', form: 'db+mysql://user:password@host:port/database', error: MysqlUrlError,
  });
  const connection: MysqlUrl['connection'] = { host: parsed.host ?? 'localhost', port: parsed.port ?? 3306 };
  if (parsed.username !== null) connection.user = parsed.username;
  if (parsed.password !== null) connection.password = parsed.password;
  if (parsed.database !== null) connection.database = parsed.database;
  if (parsed.query['charset']) connection.charset = parsed.query['charset'];
  if (parsed.query['unix_socket']) connection.socketPath = parsed.query['unix_socket'];
  return { ...parsed, connection, identity: `mysql://${connection.socketPath ?? `${connection.host}:${connection.port}`}/${parsed.database ?? ''}` };
}
