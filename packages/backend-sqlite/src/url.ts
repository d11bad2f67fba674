/**
 * Where a SQLite result backend URL puts its database (SQLAlchemy's rule, as Celery's database
 * backend uses it): `sqlite:///relative/path.db` is relative to the working directory,
 * `sqlite:////abs/path.db` is absolute; `db+sqlite://` is the same with Celery's `db+` prefix (and
 * `db+sqlite+pysqlite://`, SQLAlchemy's Python driver part, ignored).
 * `sqlite://` alone uses {@link DEFAULT_DATABASE} (like cq's SQLite broker; SQLAlchemy would use
 * memory, which no worker could share); `sqlite://:memory:` or `sqlite:///:memory:` is a private
 * in-memory database, for tests. A query string (`?check_same_thread=False`…) is ignored.
 */
import { isAbsolute, resolve } from 'node:path';
import { SqliteUrlError } from './errors.js';

/** The file used by a `sqlite://` URL without a path, relative to the working directory. */
export const DEFAULT_DATABASE = '.cq/results.db';

/** The in-memory database name. */
export const MEMORY = ':memory:';

const FORMS = 'write sqlite:///relative/path.db (from the working directory) or sqlite:////absolute/path.db';

/**
 * The absolute database path of a backend URL, or `:memory:`. Pure: touches no file.
 * @throws SqliteUrlError for another scheme or a URL with a host (`sqlite://results.db`
 *         has one slash too few).
 */
export function databasePath(url: string, cwd = process.cwd()): string {
  const match = /^(?:db\+)?sqlite(?:\+\w+)?:\/\/([^?#]*)/i.exec(url);
  if (!match) throw new SqliteUrlError(`${JSON.stringify(url)} is not a SQLite result backend URL: ${FORMS}`);
  const rest = decodeURIComponent(match[1] ?? '');
  if (rest === '') return resolve(cwd, DEFAULT_DATABASE);
  if (rest === MEMORY || rest === `/${MEMORY}`) return MEMORY;
  if (!rest.startsWith('/')) {
    const host = rest.split('/')[0];
    throw new SqliteUrlError(`SQLite result backend URL ${JSON.stringify(url)} names a host (${host}): ${FORMS}; did you mean sqlite:///${rest}?`);
  }
  const file = rest.slice(1);
  return isAbsolute(file) ? file : resolve(cwd, file);
}
