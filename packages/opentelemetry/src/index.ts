/**
 * @cq/opentelemetry — OpenTelemetry tracing for cq with the span names, attributes and message
 * headers of Python's `opentelemetry-instrumentation-celery`: PRODUCER `apply_async/<task>` and
 * CONSUMER `run/<task>` spans, W3C trace context in the task message headers, so one trace crosses
 * Python and cq clients and workers. Nothing happens on import: call `instrumentCelery(app, ...)` or
 * pass `openTelemetry(...)` in the app's `plugins`.
 */
export {
  instrumentCelery, openTelemetry, INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, SCHEMA_URL,
  type CeleryInstrumentation, type CeleryInstrumentationOptions,
} from './instrumentation.js';
export {
  APPLY_ASYNC, RUN, CELERY_ACTION, CELERY_TASK_NAME, CELERY_STATE, CELERY_RETRY_REASON, CELERY_REVOKED_REASON, CELERY_TERMINATED_SIGNAL,
  MESSAGING_MESSAGE_ID, MESSAGING_DESTINATION, MESSAGING_DESTINATION_KIND, MESSAGING_CONVERSATION_ID,
} from './attributes.js';
export { W3CTraceContext, formatTraceparent, parseTraceparent } from './w3c.js';
export { headerGetter, headerSetter } from './carrier.js';
export { OtelError, OtelConfigError } from './errors.js';
