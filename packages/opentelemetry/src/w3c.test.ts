import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, createTraceState, trace } from '@opentelemetry/api';
import { headerGetter, headerSetter } from './carrier.js';
import { W3CTraceContext, formatTraceparent, parseTraceparent } from './w3c.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('W3C trace context', () => {
  it('formats and parses traceparent version 00', () => {
    expect(formatTraceparent(TRACE, SPAN, 1)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent(TRACE, SPAN, 0)).toBe(`00-${TRACE}-${SPAN}-00`);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-later`)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  });

  it('refuses what the spec calls invalid', () => {
    for (const bad of [
      '', 'garbage', `ff-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01-extra`, `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`, `00-${TRACE.toUpperCase()}-${SPAN}-01`, `00-${TRACE}-${SPAN}`,
    ]) expect(parseTraceparent(bad), bad).toBeNull();
  });

  it('injects into and extracts from message headers, tracestate included', () => {
    const w3c = new W3CTraceContext();
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: createTraceState('a=1,b=2') });
    const headers: Record<string, unknown> = { id: 'x', task: 't' };
    w3c.inject(ctx, headers, headerSetter);
    expect(headers).toEqual({ id: 'x', task: 't', traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'a=1,b=2' });
    const back = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, headers, headerGetter))!;
    expect(back).toMatchObject({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(back.traceState?.serialize()).toBe('a=1,b=2');
    expect(w3c.fields()).toEqual(['traceparent', 'tracestate']);
  });

  it('writes nothing without a valid span, and leaves the context alone for a bad header', () => {
    const w3c = new W3CTraceContext();
    const headers: Record<string, unknown> = {};
    w3c.inject(ROOT_CONTEXT, headers, headerSetter);
    expect(headers).toEqual({});
    expect(w3c.extract(ROOT_CONTEXT, { traceparent: 'nope' }, headerGetter)).toBe(ROOT_CONTEXT);
    expect(w3c.extract(ROOT_CONTEXT, { traceparent: [`00-${TRACE}-${SPAN}-01`] }, headerGetter)).not.toBe(ROOT_CONTEXT);
  });
});
