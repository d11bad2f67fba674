/**
 * The app plugin of @cq/backend-postgres: registers PostgresBackend for the `db+postgresql://` and
 * `db+postgres://` result backend URLs (and their `+<python driver>` forms) in the app's registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { postgresBackend } from '@cq/backend-postgres';
 * const app = new Celery('proj', { result_backend: 'db+postgresql://postgres@localhost/results' }, { plugins: [postgresBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { PostgresBackend } from './postgres-backend.js';
import { POSTGRES_SCHEMES } from './url.js';

/** The plugin to pass in the app's `plugins` so `db+postgresql://` result backend URLs resolve. */
export function postgresBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-postgres', POSTGRES_SCHEMES, PostgresBackend);
}
