/**
 * Errors of @cq/backend-postgres. Storage failures are @cq/backend's BackendStoreError /
 * BackendGetMetaError with the pg error as `cause`; a refused pickle is @cq/backend's
 * UnsafePickleError.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * └── PostgresUrlError                      CQ_BACKEND_POSTGRES_URL   not a PostgreSQL database URL (names the form)
 * ```
 */
import { BackendConfigurationError } from '@cq/backend';

/** The result backend URL is not a PostgreSQL database URL; the message names the accepted forms. */
export class PostgresUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_POSTGRES_URL';
}
