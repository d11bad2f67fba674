/**
 * Errors raised by @cq/vine. Every class has a stable `code` and keeps the original `cause`.
 *
 * ```
 * VineError                 CQ_VINE
 * ├── BarrierError          CQ_VINE_BARRIER   misuse of a Barrier (e.g. add() after it settled)
 * └── VineTimeoutError      CQ_VINE_TIMEOUT   withTimeout() elapsed without an onTimeout handler
 * ```
 */

export interface VineErrorOptions {
  cause?: unknown;
}

export class VineError extends Error {
  readonly code: string = 'CQ_VINE';
  constructor(message: string, options: VineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A Barrier was used out of order, e.g. `add()` after it already resolved or rejected. */
export class BarrierError extends VineError {
  override readonly code = 'CQ_VINE_BARRIER';
}

/** `withTimeout()` elapsed before the wrapped promise settled. `ms` is the timeout in milliseconds. */
export class VineTimeoutError extends VineError {
  override readonly code = 'CQ_VINE_TIMEOUT';
  constructor(
    readonly ms: number,
    options: VineErrorOptions = {},
  ) {
    super(`operation timed out after ${ms} ms`, options);
  }
}
