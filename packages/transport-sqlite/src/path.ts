/**
 * Where a `sqlite://` broker URL puts its database file. SQLAlchemy's rule, as kombu's URL parser
 * keeps it: `sqlite:///relative/path.db` is relative to the working directory, `sqlite:////abs/path.db`
 * is absolute, and `sqlite://` (no path) uses {@link DEFAULT_DATABASE}.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigurationError, type BrokerUrl } from '@cq/kombu';

/** The file used by a `sqlite://` URL without a path, relative to the working directory. */
export const DEFAULT_DATABASE = '.cq/broker.db';

const FORMS = 'write sqlite:///relative/path.db (from the working directory) or sqlite:////absolute/path.db';

/**
 * Resolves the absolute database path of a broker URL. Pure: touches no file.
 * Throws {@link ConfigurationError} for a URL with a host (`sqlite://broker.db` has two slashes too
 * few) or for `:memory:`, which one process's connections could not share.
 */
export function databasePath(url: BrokerUrl, cwd = process.cwd()): string {
  if (url.hostname) {
    throw new ConfigurationError(`sqlite broker URL ${JSON.stringify(url.href)} names a host (${url.hostname}): ${FORMS}; did you mean sqlite:///${url.hostname}${url.virtualHost ? `/${url.virtualHost}` : ''}?`);
  }
  const file = url.virtualHost ?? DEFAULT_DATABASE;
  if (file === ':memory:' || file.startsWith('file:')) {
    throw new ConfigurationError(`sqlite broker URL ${JSON.stringify(url.href)} is not a file path: ${FORMS} (use memory:// for an in-process broker)`);
  }
  return isAbsolute(file) ? file : resolve(cwd, file);
}

/**
 * Creates the parent directory of `file` and checks that `file` is not a directory.
 * Throws {@link ConfigurationError} naming the path and the fix.
 */
export function prepareDatabaseFile(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    throw new ConfigurationError(`cannot create the directory of the sqlite broker database ${file}: ${(err as Error).message}; choose a writable path (${FORMS})`, { cause: err });
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch {
    // Missing: SQLite creates it.
  }
  if (isDirectory) throw new ConfigurationError(`the sqlite broker database ${file} is a directory: point the URL at a file inside it, e.g. sqlite:///${file}/broker.db`);
}
