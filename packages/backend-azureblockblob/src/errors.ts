/**
 * Errors of @cq/backend-azureblockblob. Storage failures are @cq/backend's BackendStoreError /
 * BackendGetMetaError with the Azure SDK's error (`RestError`, a network error) as `cause`.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * └── AzureBlockBlobUrlError                CQ_BACKEND_AZUREBLOCKBLOB_URL   not azureblockblob://<connection string> (names the form)
 * ```
 */
import { BackendConfigurationError } from '@cq/backend';

/** The result backend URL is not `azureblockblob://<connection string>`; the account key is never shown. */
export class AzureBlockBlobUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_AZUREBLOCKBLOB_URL';
}
