/**
 * @cq/backend-mysql — the MySQL / MariaDB result backend for cq: Celery's database backend tables
 * (`db+mysql://`), shared with Python Celery. Pass `mysqlBackend()` in the app's plugins.
 */
import { MysqlBackend } from './mysql-backend.js';

export default MysqlBackend;
export { MysqlBackend, type MysqlBackendOptions } from './mysql-backend.js';
export { Mysql2Driver } from './driver.js';
export { parseMysqlUrl, MYSQL_SCHEMES, type MysqlUrl } from './url.js';
export { mysqlBackend } from './plugin.js';
export { MysqlUrlError } from './errors.js';
