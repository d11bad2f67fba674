/**
 * Errors of the `cq` command line. A `CliError` is printed as one line and exits with its `exitCode`.
 *
 * ```
 * CliError            CQ_CLI        bad usage or input; exit code 2 by default
 * ```
 */
export class CliError extends Error {
  readonly code = 'CQ_CLI';
  constructor(message: string, readonly exitCode = 2, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
  }
}
