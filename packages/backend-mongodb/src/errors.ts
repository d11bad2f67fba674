/**
 * Errors of @cq/backend-mongodb. Other storage failures are @cq/backend's BackendStoreError /
 * BackendGetMetaError with the driver's error as `cause`.
 *
 * ```
 * BackendError (@cq/backend)                CQ_BACKEND
 * ├── BackendConfigurationError             CQ_BACKEND_CONFIGURATION
 * │   └── MongoBackendSettingsError         CQ_BACKEND_MONGODB_SETTINGS   a URL, `mongodb_backend_settings` entry or client
 * │                                                                       option the backend cannot use (names the fix)
 * └── MongoBackendEncodeError               CQ_BACKEND_MONGODB_ENCODE     a value BSON cannot hold (an integer past 64 bits in
 *                                                                         args, kwargs, children or a stamp); Celery raises
 *                                                                         EncodeError from pymongo's InvalidDocument alike
 * ```
 */
import { BackendConfigurationError, BackendError } from '@cq/backend';

/** The URL, a `mongodb_backend_settings` entry or a client option is unusable; the message names the fix. */
export class MongoBackendSettingsError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_MONGODB_SETTINGS';
}

/** A value stored as a BSON field (not through the result serializer) that BSON cannot hold. */
export class MongoBackendEncodeError extends BackendError {
  override readonly code = 'CQ_BACKEND_MONGODB_ENCODE';
}
