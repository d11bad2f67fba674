/**
 * The app plugin of @cq/backend-filesystem: registers FilesystemBackend for `file://` result
 * backend URLs in the app's backend registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { filesystemBackend } from '@cq/backend-filesystem';
 * const app = new Celery('proj', { result_backend: 'file:///var/lib/results' }, { plugins: [filesystemBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { FilesystemBackend } from './filesystem-backend.js';
import { FILESYSTEM_SCHEMES } from './url.js';

/** The plugin to pass in the app's `plugins` so `file://` result backend URLs resolve. */
export function filesystemBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-filesystem', FILESYSTEM_SCHEMES, FilesystemBackend);
}
