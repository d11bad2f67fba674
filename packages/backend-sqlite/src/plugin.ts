/**
 * The app plugin of @cq/backend-sqlite: registers SqliteBackend for sqlite://, db+sqlite:// (and
 * db+sqlite+pysqlite://) result backend URLs
 * in the app's backend registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { sqliteBackend } from '@cq/backend-sqlite';
 * const app = new Celery('proj', { result_backend: '...' }, { plugins: [sqliteBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { SqliteBackend } from './sqlite-backend.js';

/** The plugin to pass in the app's `plugins` so `result_backend` URLs of these schemes resolve. */
export function sqliteBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-sqlite', ['sqlite', 'db+sqlite'], SqliteBackend);
}
