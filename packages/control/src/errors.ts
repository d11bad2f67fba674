/**
 * Errors raised by @cq/control, each with a stable `code` and its `cause`.
 *
 * ```
 * ControlError                 CQ_CONTROL            base class
 * ├── UnknownCommandError      CQ_CONTROL_UNKNOWN    no handler for a command (Celery replies `{"error": "KeyError(...)"}`)
 * ├── ControlArgumentError     CQ_CONTROL_ARGUMENT   bad destination/pattern, or a command argument of the wrong type
 * └── StateDbError             CQ_CONTROL_STATEDB    the `--statedb` file cannot be read or written
 * ```
 * A handler may also throw {@link ControlShutdown} (a control-flow signal, not a failure): the node
 * sends no reply and asks the worker to stop, as Celery's `shutdown` raising `WorkerShutdown`.
 */
export class ControlError extends Error {
  readonly code: string = 'CQ_CONTROL';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

export class UnknownCommandError extends ControlError {
  override readonly code = 'CQ_CONTROL_UNKNOWN';
}

export class ControlArgumentError extends ControlError {
  override readonly code = 'CQ_CONTROL_ARGUMENT';
}

export class StateDbError extends ControlError {
  override readonly code = 'CQ_CONTROL_STATEDB';
}

/** Thrown by the `shutdown` command: no reply is sent and the worker stops (Celery `WorkerShutdown`). */
export class ControlShutdown extends Error {
  readonly code = 'CQ_CONTROL_SHUTDOWN';
  constructor(readonly msg: string) {
    super(msg);
    this.name = 'ControlShutdown';
  }
}
