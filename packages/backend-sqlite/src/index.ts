/**
 * @cq/backend-sqlite — the SQLite result backend for cq, with the tables of Celery's database backend.
 *
 * Registry convention (see `@cq/backend` `createBackend`): the default export is the backend class,
 * whose static `fromUrl(url, options)` builds it from a `sqlite://` or `db+sqlite://` URL.
 */
import { SqliteBackend } from './sqlite-backend.js';

export default SqliteBackend;
export { SqliteBackend, type SqliteBackendOptions } from './sqlite-backend.js';
export { databasePath, DEFAULT_DATABASE } from './url.js';
export { DEFAULT_TABLE_NAMES, type TableNames } from './schema.js';
