/**
 * The app plugin of @cq/backend-mongodb: registers MongoBackend for `mongodb://` and `mongodb+srv://`
 * result backend URLs in the app's registry. @cq/celery's preset does not include it (the `mongodb`
 * driver is not one of its dependencies): pass it yourself.
 *
 * ```ts
 * import { Celery, fullStack } from '@cq/celery';
 * import { mongodbBackend } from '@cq/backend-mongodb';
 * const app = new Celery('proj', { result_backend: 'mongodb://localhost:27017/celery' }, { plugins: [...fullStack(), mongodbBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { MongoBackend } from './mongodb-backend.js';
import { MONGODB_BACKEND_SCHEMES } from './settings.js';

/** The plugin to pass in the app's `plugins` so `mongodb://` result backend URLs resolve. */
export function mongodbBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-mongodb', MONGODB_BACKEND_SCHEMES, MongoBackend);
}
