/**
 * Errors of @cq/backend-rpc. Configuration problems use `BackendConfigurationError` from
 * `@cq/backend`; this package adds one class for the operations rpc:// cannot do.
 *
 * ```
 * BackendError (@cq/backend)                  CQ_BACKEND
 * └── RpcNotImplementedError                  CQ_BACKEND_RPC_NOT_IMPLEMENTED   groups/chords on rpc://
 *                                                                               (Celery raises NotImplementedError)
 * ```
 */
import { BackendError, type BackendErrorOptions } from '@cq/backend';

/**
 * An operation rpc:// does not support: saving, restoring or deleting a group result, or a chord
 * (Celery's `RPCBackend` raises `NotImplementedError` for the same calls). `operation` names it.
 */
export class RpcNotImplementedError extends BackendError {
  override readonly code = 'CQ_BACKEND_RPC_NOT_IMPLEMENTED';
  constructor(readonly operation: string, options: BackendErrorOptions = {}) {
    super(
      `NotImplemented: ${operation} is not supported by the rpc:// result backend ` +
        '(results travel as messages to one client, nothing is stored): use a storing backend such as redis:// for groups and chords',
      options,
    );
  }
}
