/**
 * Errors of @cq/backend-mysql. Storage failures are @cq/backend's BackendStoreError /
 * BackendGetMetaError with the mysql2 error as `cause`; a refused pickle is @cq/backend's
 * UnsafePickleError.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * └── MysqlUrlError                         CQ_BACKEND_MYSQL_URL   not a MySQL/MariaDB database URL (names the form)
 * ```
 */
import { BackendConfigurationError } from '@cq/backend';

/** The result backend URL is not a MySQL/MariaDB database URL; the message names the accepted forms. */
export class MysqlUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_MYSQL_URL';
}
