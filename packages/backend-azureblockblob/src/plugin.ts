/**
 * The app plugin of @cq/backend-azureblockblob: registers AzureBlockBlobBackend for
 * `azureblockblob://` result backend URLs in the app's backend registry.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * import { azureBlockBlobBackend } from '@cq/backend-azureblockblob';
 * const app = new Celery('proj', { result_backend: 'azureblockblob://UseDevelopmentStorage=true' }, { plugins: [azureBlockBlobBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { AzureBlockBlobBackend } from './azureblockblob-backend.js';

/** The plugin to pass in the app's `plugins` so `azureblockblob://` result backend URLs resolve. */
export function azureBlockBlobBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-azureblockblob', ['azureblockblob'], AzureBlockBlobBackend);
}
