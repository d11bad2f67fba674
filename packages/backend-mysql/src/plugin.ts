/**
 * The app plugin of @cq/backend-mysql: registers MysqlBackend for the `db+mysql://` and
 * `db+mariadb://` result backend URLs (and their `+<python driver>` forms) in the app's registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { mysqlBackend } from '@cq/backend-mysql';
 * const app = new Celery('proj', { result_backend: 'db+mysql://root@localhost/results' }, { plugins: [mysqlBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { MysqlBackend } from './mysql-backend.js';
import { MYSQL_SCHEMES } from './url.js';

/** The plugin to pass in the app's `plugins` so `db+mysql://` result backend URLs resolve. */
export function mysqlBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-mysql', MYSQL_SCHEMES, MysqlBackend);
}
