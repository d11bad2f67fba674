/**
 * @cq/backend-postgres — the PostgreSQL result backend for cq: Celery's database backend tables
 * (`db+postgresql://`), shared with Python Celery. Pass `postgresBackend()` in the app's plugins.
 */
import { PostgresBackend } from './postgres-backend.js';

export default PostgresBackend;
export { PostgresBackend, type PostgresBackendOptions } from './postgres-backend.js';
export { PgDriver } from './driver.js';
export { parsePostgresUrl, POSTGRES_SCHEMES, type PostgresUrl } from './url.js';
export { postgresBackend } from './plugin.js';
export { PostgresUrlError } from './errors.js';
