/**
 * @cq/backend-sqlite — the SQLite result backend for cq, with the tables and pickled `result` cells
 * of Celery's database backend (`db+sqlite://`, and cq's embedded default `sqlite://`).
 *
 * Pass `sqliteBackend()` in the app's plugins so its URLs resolve; the default export is the backend class.
 */
import { SqliteBackend } from './sqlite-backend.js';

export default SqliteBackend;
export { SqliteBackend, type SqliteBackendOptions } from './sqlite-backend.js';
export { SqliteDriver } from './driver.js';
export { databasePath, DEFAULT_DATABASE } from './url.js';
export { DEFAULT_TABLE_NAMES, type TableNames } from '@cq/backend';
export { sqliteBackend } from './plugin.js';
export { SqliteUrlError } from './errors.js';
