/**
 * Errors of @cq/backend-couchdb.
 *
 * ```
 * BackendConfigurationError (@cq/backend)   CQ_BACKEND_CONFIGURATION
 * └── CouchDBUrlError                       CQ_BACKEND_COUCHDB_URL   not couchdb://[user:password@]host[:port]/container (password never shown)
 *
 * CouchDBRequestError (extends Error)       a request failed or CouchDB answered with an error
 * ```
 *
 * CouchDBRequestError plays the part a driver's error plays in other backends: it carries no cq
 * code, so @cq/backend wraps it as the `cause` of a BackendStoreError (writes) or
 * BackendGetMetaError (reads).
 */
import { BackendConfigurationError } from '@cq/backend';

/** The result backend URL is not a CouchDB URL, or the serializer writes bytes a document cannot hold. */
export class CouchDBUrlError extends BackendConfigurationError {
  override readonly code = 'CQ_BACKEND_COUCHDB_URL';
}

/**
 * A request to CouchDB failed: `status` is the HTTP status (null when no reply came: refused,
 * reset, DNS), `error` and `reason` CouchDB's own (`conflict`, `Document update conflict`).
 */
export class CouchDBRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly error: string | null = null,
    readonly reason: string | null = null,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'CouchDBRequestError';
  }
}
