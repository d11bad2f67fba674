/**
 * Errors of @cq/backend-filesystem. Other failures of the file system (permissions, a full disk)
 * are @cq/backend's BackendStoreError / BackendGetMetaError with Node's error as `cause`.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * ├── FilesystemUrlError                    CQ_BACKEND_FILESYSTEM_URL    not a file:// URL of an absolute path (names the form)
 * └── FilesystemPathError                   CQ_BACKEND_FILESYSTEM_PATH   the directory cannot be written and read back (Celery E_PATH_INVALID)
 * BackendError (@cq/backend)                CQ_BACKEND
 * └── UnsafeKeyError                        CQ_BACKEND_FILESYSTEM_KEY    a task or group id that would name a file outside the directory
 * ```
 */
import { BackendConfigurationError, BackendError } from '@cq/backend';

/** The result backend URL is not `file:///absolute/path`; the message names the accepted forms. */
export class FilesystemUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_FILESYSTEM_URL';
}

/**
 * The directory does not exist, or a test file cannot be written, read back and removed there
 * (Celery's `_do_directory_test`, which raises ImproperlyConfigured). `cause` is Node's error.
 */
export class FilesystemPathError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_FILESYSTEM_PATH';
}

/** A key (`celery-task-meta-<id>`) holding `/` or NUL, or `.`/`..`: it would name a file outside the directory. */
export class UnsafeKeyError extends BackendError {
  override readonly code = 'CQ_BACKEND_FILESYSTEM_KEY';
}
