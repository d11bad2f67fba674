/**
 * @cq/backend-azureblockblob — Celery's Azure Block Blob result backend for cq (`azureblockblob://`):
 * one blob per result, named and filled as Python Celery does, so both read each other's results.
 * Pass `azureBlockBlobBackend()` in the app's plugins; the default export is the backend class.
 */
import { AzureBlockBlobBackend } from './azureblockblob-backend.js';

export default AzureBlockBlobBackend;
export { AzureBlockBlobBackend, type AzureBlockBlobBackendOptions } from './azureblockblob-backend.js';
export {
  AZUREBLOCKBLOB_DEFAULTS, azureBlockBlobSettings, type AzureBlockBlobSettings, type AzureBlockBlobSettingOptions,
} from './settings.js';
export { AZUREBLOCKBLOB_PREFIX, connectionStringOf, maskConnectionString } from './url.js';
export { azureBlockBlobBackend } from './plugin.js';
export { AzureBlockBlobUrlError } from './errors.js';
