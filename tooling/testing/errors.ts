/**
 * Errors raised by the test support of `@cq/tooling/testing`. Each class has a stable `code` and
 * keeps the original `cause`.
 *
 * ```
 * TestSupportError           CQ_TEST
 * ├── MissingPeerError       CQ_TEST_PEER_MISSING      a program or Python module a test needs is not
 * │                                                    installed; `installCommand` is the fix
 * ├── PythonScriptError      CQ_TEST_PYTHON_FAILED     the Python side of an interop test failed; `stderr`
 * └── LeftoverProcessError   CQ_TEST_LEFTOVER_PROCESS  processes of a test run were still alive after it
 * ```
 */

export interface TestSupportErrorOptions {
  cause?: unknown;
}

export class TestSupportError extends Error {
  readonly code: string = 'CQ_TEST';
  constructor(message: string, options: TestSupportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * A peer a test needs (Debian's Python with some modules, `redis-server`, RabbitMQ, ...) is not
 * installed. The message and `installCommand` give the exact command that installs it; the tests
 * fail with it instead of skipping.
 */
export class MissingPeerError extends TestSupportError {
  override readonly code = 'CQ_TEST_PEER_MISSING';
  constructor(message: string, readonly installCommand: string, options: TestSupportErrorOptions = {}) {
    super(message, options);
  }
}

/**
 * A Python script run for an interop test (`databaseInteropPython`) exited non-zero or timed out.
 * `stderr` is what Python printed (its traceback); `cause` is the exec error.
 */
export class PythonScriptError extends TestSupportError {
  override readonly code = 'CQ_TEST_PYTHON_FAILED';
  constructor(message: string, readonly stderr: string, options: TestSupportErrorOptions = {}) {
    super(message, options);
  }
}

/** Processes carrying a test run's tag outlived it (they were killed when found). */
export class LeftoverProcessError extends TestSupportError {
  override readonly code = 'CQ_TEST_LEFTOVER_PROCESS';
}
