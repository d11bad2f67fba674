/**
 * Errors of @cq/backend-s3. Storage failures are @cq/backend's BackendStoreError /
 * BackendGetMetaError with the AWS SDK's error as `cause`.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * └── S3ConfigurationError                  CQ_BACKEND_S3_CONFIGURATION   no s3_bucket, or half the credentials
 * ```
 */
import { BackendConfigurationError } from '@cq/backend';

/** The S3 settings cannot work (Celery's `ImproperlyConfigured`); the message names the setting. */
export class S3ConfigurationError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_S3_CONFIGURATION';
}
