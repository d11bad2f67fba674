/**
 * W3C Trace Context (`traceparent`, `tracestate`; https://www.w3.org/TR/trace-context/) as a
 * propagator, used when no global propagator is registered. Python's instrumentation calls
 * `opentelemetry.propagate.inject`, whose default propagators (`OTEL_PROPAGATORS`, default
 * `tracecontext,baggage`) write these headers even when nothing was configured; OpenTelemetry JS
 * registers no propagator by default, so without this a cq process would send no trace context.
 * A registered global propagator (NodeSDK registers W3C trace context and baggage) or the
 * `propagator` option is used instead when there is one.
 */
import {
  createTraceState, isSpanContextValid, trace,
  type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter,
} from '@opentelemetry/api';

/** `version-traceid-parentid-flags`, lowercase hex; later versions may append fields. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Formats a `traceparent` value, version 00. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Parses a `traceparent` value; null when it is not valid W3C trace context (version ff, zero ids, ...). */
export function parseTraceparent(value: string): { traceId: string; spanId: string; traceFlags: number } | null {
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return null;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  const parsed = { traceId: traceId!, spanId: spanId!, traceFlags: Number.parseInt(flags!, 16) };
  return isSpanContextValid(parsed) ? parsed : null;
}

/** The `traceparent` / `tracestate` propagator. */
export class W3CTraceContext implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpanContext(context);
    if (!span || !isSpanContextValid(span)) return;
    setter.set(carrier, 'traceparent', formatTraceparent(span.traceId, span.spanId, span.traceFlags));
    const state = span.traceState?.serialize();
    if (state) setter.set(carrier, 'tracestate', state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, 'traceparent');
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!value) return context;
    const parsed = parseTraceparent(value);
    if (!parsed) return context;
    const state = getter.get(carrier, 'tracestate');
    const traceState = state === undefined ? undefined : createTraceState(Array.isArray(state) ? state.join(',') : state);
    return trace.setSpanContext(context, {
      traceId: parsed.traceId, spanId: parsed.spanId, traceFlags: parsed.traceFlags, isRemote: true,
      ...(traceState ? { traceState } : {}),
    });
  }

  fields(): string[] {
    return ['traceparent', 'tracestate'];
  }
}
