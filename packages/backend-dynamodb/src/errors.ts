/**
 * Errors of @cq/backend-dynamodb. Storage failures are @cq/backend's BackendStoreError /
 * BackendGetMetaError with the cause below or the AWS SDK's error.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * └── DynamoDBUrlError                      CQ_BACKEND_DYNAMODB_URL     not a dynamodb:// URL Celery accepts (names the form)
 * BackendError (@cq/backend)                CQ_BACKEND
 * └── DynamoDBTableError                    CQ_BACKEND_DYNAMODB_TABLE   the table never became ACTIVE, or its TTL could not be set
 * ```
 */
import { BackendConfigurationError, BackendError } from '@cq/backend';

/** The result backend URL is not one Celery's DynamoDB backend accepts; the message names the form. */
export class DynamoDBUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_DYNAMODB_URL';
}

/** Preparing the table failed: it did not become ACTIVE in time, or UpdateTimeToLive failed (`cause`). */
export class DynamoDBTableError extends BackendError {
  override readonly code = 'CQ_BACKEND_DYNAMODB_TABLE';
}
