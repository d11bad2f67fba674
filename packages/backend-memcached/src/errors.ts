/**
 * Errors of @cq/backend-memcached. Failures of memcached itself (refused connection, timeout, a value
 * over the item size limit) are @cq/backend's BackendStoreError / BackendGetMetaError with memjs's
 * error as `cause`.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * ├── MemcachedUrlError                     CQ_BACKEND_MEMCACHED_URL       not a memcached cache URL (names the form)
 * └── MemcachedOptionsError                 CQ_BACKEND_MEMCACHED_OPTIONS   a cache_backend_options entry cq cannot honour
 * BackendGetMetaError (@cq/backend)         CQ_BACKEND_GET_META
 * └── MemcachedValueError                   CQ_BACKEND_MEMCACHED_VALUE     a stored item pylibmc pickled, or a bad zlib body
 * ```
 */
import { BackendConfigurationError, BackendGetMetaError } from '@cq/backend';

/** The result backend URL (or `cache_backend`) is not a memcached URL; the message names the accepted forms. */
export class MemcachedUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_MEMCACHED_URL';
}

/**
 * A `cache_backend_options` entry that would make cq place or read keys differently from pylibmc
 * (consistent hashing, another hash function); the message names the entry.
 */
export class MemcachedOptionsError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_MEMCACHED_OPTIONS';
}

/** A stored item cq will not read: pickled by pylibmc (flag 1), or compressed but not valid zlib. */
export class MemcachedValueError extends BackendGetMetaError {
  override readonly code = 'CQ_BACKEND_MEMCACHED_VALUE';
}
