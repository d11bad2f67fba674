/**
 * Errors of @cq/opentelemetry, each with a stable `code` and its `cause`. Tracing never throws at a
 * task or a publish: what goes wrong while recording a span is reported through the signal's error
 * reporter; only setting the instrumentation up can throw.
 *
 * ```
 * OtelError            CQ_OTEL
 * └── OtelConfigError  CQ_OTEL_CONFIG   instrumented twice, or options the instrumentation cannot use
 * ```
 */
export class OtelError extends Error {
  readonly code: string = 'CQ_OTEL';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** The instrumentation cannot be set up: the app is instrumented already, or an option is unusable. */
export class OtelConfigError extends OtelError {
  override readonly code: string = 'CQ_OTEL_CONFIG';
}
