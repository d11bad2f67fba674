/**
 * Errors of @cq/backend-sqlite. Storage failures are @cq/backend's BackendStoreError /
 * BackendGetMetaError with the better-sqlite3 error as `cause`; a refused pickle is @cq/backend's
 * UnsafePickleError.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION   also: a database file that cannot be opened
 * └── SqliteUrlError                        CQ_BACKEND_SQLITE_URL      not a SQLite URL, or one with a host (names the fix)
 * ```
 */
import { BackendConfigurationError } from '@cq/backend';

/** The URL is not a SQLite result backend URL (or names a host: one slash too few); the message names the fix. */
export class SqliteUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_SQLITE_URL';
}
