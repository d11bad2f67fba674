/**
 * The app plugin of @cq/backend-couchdb: registers CouchDBBackend for `couchdb://` result backend
 * URLs in the app's backend registry.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * import { couchdbBackend } from '@cq/backend-couchdb';
 * const app = new Celery('proj', { result_backend: 'couchdb://admin:secret@localhost:5984/results' }, { plugins: [couchdbBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { CouchDBBackend } from './couchdb-backend.js';

/** The plugin to pass in the app's `plugins` so `couchdb://` result backend URLs resolve. */
export function couchdbBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-couchdb', ['couchdb'], CouchDBBackend);
}
