/**
 * The task message headers as an OpenTelemetry carrier. Python's instrumentation injects into the
 * `headers` argument of `before_task_publish` (the protocol-v2 message headers, next to `id` and
 * `task`) and extracts from `task.request`, whose attributes are those headers (its `CeleryGetter`
 * reads `getattr(request, key)`); cq reads the same keys from `request.headers`.
 */
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

type Headers = Record<string, unknown>;

/** Reads one header as the propagator wants it: a string, a list of strings, or undefined. */
export const headerGetter: TextMapGetter<Headers> = {
  get(carrier, key) {
    const value = carrier[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    // As Python's getter: a non-string value is coerced, an iterable one element by element.
    return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : String(v))) : String(value);
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

/** Writes one header (`traceparent`, `tracestate`, ...) into the message headers about to be sent. */
export const headerSetter: TextMapSetter<Headers> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};
