/**
 * Errors raised by the task message protocol (encode/decode of Celery protocol v1/v2).
 *
 * ```
 * Error
 *  └─ ProtocolError                 CQ_PROTOCOL                 base of the protocol errors
 *      ├─ InvalidTaskError          CQ_PROTOCOL_INVALID_TASK    a received message is not a runnable
 *      │                                                        task (Celery's InvalidTaskError: the
 *      │                                                        worker rejects it, requeue=false)
 *      └─ InvalidTaskOptionsError   CQ_PROTOCOL_INVALID_OPTIONS buildTaskMessage got bad options
 *                                                               (Celery raises TypeError/ValueError)
 * ```
 * These will be merged into the package's `errors.ts`; codes are stable.
 */

/** Options accepted by every protocol error: the original failure, when there is one. */
export interface ProtocolErrorOptions {
  cause?: unknown;
}

/** Base class of protocol errors; `code` is stable and safe to branch on. */
export class ProtocolError extends Error {
  readonly code: string = 'CQ_PROTOCOL';

  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * A received message cannot be turned into a task request: the body is neither protocol v2
 * (`[args, kwargs, embed]`), the hybrid form nor a v1 dict; args/kwargs have the wrong type; or
 * `eta`/`expires` is not a valid date. Mirrors `celery.exceptions.InvalidTaskError`; a worker
 * rejects such a message without requeue.
 */
export class InvalidTaskError extends ProtocolError {
  override readonly code = 'CQ_PROTOCOL_INVALID_TASK';
}

/**
 * `buildTaskMessage` was given options Celery would refuse: args not an array, kwargs not a plain
 * object, a non-finite or out-of-range countdown/expires, an unparseable eta/expires date.
 */
export class InvalidTaskOptionsError extends ProtocolError {
  override readonly code = 'CQ_PROTOCOL_INVALID_OPTIONS';
}
