/**
 * Traces through a real broker (Redis db 12): cq clients and in-process cq workers instrumented
 * with @cq/opentelemetry, spans in an in-memory exporter; and across languages, a Python Celery
 * 5.2 client and worker that write and read the trace headers where Python's instrumentation does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { context, createTraceState, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  after_task_publish, before_task_publish, task_failure, task_postrun, task_prerun, task_retry, task_revoked, type TaskContext,
} from '@cq/celery';
import { instrumentCelery, openTelemetry, OtelConfigError } from '../src/index.js';
import { Fixture, exporter, provider, queueName, spanFor, waitForSpans } from './fixture.js';

const fixture = new Fixture();
afterEach(async () => {
  await fixture.cleanup();
  exporter.reset();
});

class ValueError extends Error {
  override name = 'ValueError';
}

const SIGNALS = [before_task_publish, after_task_publish, task_prerun, task_failure, task_retry, task_revoked, task_postrun] as const;

describe('enabling', () => {
  it('registers nothing until instrumentCelery() and removes everything on uninstrument()', () => {
    const app = fixture.app(queueName());
    const before = SIGNALS.map((s) => s.receivers);
    expect(app.invokeWrappers).toHaveLength(0);
    const otel = instrumentCelery(app, { tracerProvider: provider });
    expect(otel.instrumented).toBe(true);
    expect(SIGNALS.map((s) => s.receivers)).toEqual(before.map((n) => n + 1));
    expect(app.invokeWrappers).toHaveLength(1);
    expect(() => instrumentCelery(app, { tracerProvider: provider })).toThrow(OtelConfigError);
    otel.uninstrument();
    otel.uninstrument();
    expect(otel.instrumented).toBe(false);
    expect(SIGNALS.map((s) => s.receivers)).toEqual(before);
    expect(app.invokeWrappers).toHaveLength(0);
  });

  it('one plugin per app, and a bad option, throw CQ_OTEL_CONFIG', () => {
    const plugin = openTelemetry({ tracerProvider: provider });
    fixture.app(queueName()).use(plugin);
    expect(() => fixture.app(queueName()).use(plugin)).toThrow(expect.objectContaining({ code: 'CQ_OTEL_CONFIG' }));
    expect(() => openTelemetry({ maxPendingSpans: 0 })).toThrow(OtelConfigError);
    plugin.uninstrument();
  });
});

describe('cq client → Redis → cq worker', () => {
  it('the run span is the child of the publish span; spans and tasks made in the task are children of the run span', async () => {
    const queue = queueName();
    const client = fixture.app(queue);
    const workerApp = fixture.app(queue);
    instrumentCelery(client, { tracerProvider: provider });
    instrumentCelery(workerApp, { tracerProvider: provider });
    const tracer = provider.getTracer('test');
    const child = workerApp.task('otel.child', (x: number) => x * 2);
    workerApp.task('otel.add', async (x: number, y: number) => {
      await tracer.startActiveSpan('inner', async (span) => {
        await new Promise((r) => setTimeout(r, 5));
        span.end();
      });
      const sent = await child.delay(x + y);
      return { sum: x + y, child: sent.id };
    });
    await fixture.worker(workerApp, queue);

    const result = await tracer.startActiveSpan('client-op', async (span) => {
      try {
        return fixture.track(await client.sendTask<{ sum: number; child: string }>('otel.add', [2, 3]));
      } finally {
        span.end();
      }
    });
    const value = await result.get({ timeout: 10 });
    expect(value.sum).toBe(5);

    const [clientOp] = await waitForSpans('client-op');
    const publish = await spanFor('apply_async/otel.add', result.id);
    const run = await spanFor('run/otel.add', result.id);
    const [inner] = await waitForSpans('inner');
    const childPublish = await spanFor('apply_async/otel.child', value.child);
    const childRun = await spanFor('run/otel.child', value.child);
    const traceId = clientOp!.spanContext().traceId;
    for (const span of [publish, run, inner!, childPublish, childRun]) expect(span.spanContext().traceId).toBe(traceId);

    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.parentSpanContext?.spanId).toBe(clientOp!.spanContext().spanId);
    expect(publish.attributes).toEqual({
      'celery.action': 'apply_async', 'messaging.message.id': result.id, 'celery.task_name': 'otel.add',
      'messaging.destination': queue, 'messaging.destination_kind': 'queue',
    });
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(run.parentSpanContext?.isRemote).toBe(true);
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(run.attributes).toMatchObject({
      'celery.action': 'run', 'celery.state': 'SUCCESS', 'celery.task_name': 'otel.add', 'messaging.message.id': result.id,
      'messaging.conversation_id': result.id, 'messaging.destination': queue, 'celery.hostname': client.origin, 'celery.reply_to': client.oid,
      'celery.delivery_info': `{'exchange': '', 'routing_key': '${queue}', 'priority': 0, 'redelivered': False}`,
    });
    expect(run.attributes['celery.retries']).toBeUndefined();
    expect(inner!.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(childPublish.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(childRun.parentSpanContext?.spanId).toBe(childPublish.spanContext().spanId);
  });

  it('a failure is recorded on the run span (status ERROR, exception event); an app not instrumented makes no span', async () => {
    const queue = queueName();
    const app = fixture.app(queue);
    instrumentCelery(app, { tracerProvider: provider });
    app.task('otel.fail', () => {
      throw new ValueError('bad input 7');
    });
    await fixture.worker(app, queue);
    const result = fixture.track(await app.sendTask('otel.fail'));
    await expect(result.get({ timeout: 10 })).rejects.toThrow('bad input 7');
    const run = await spanFor('run/otel.fail', result.id);
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad input 7' });
    expect(run.attributes['celery.state']).toBe('FAILURE');
    const event = run.events.find((e) => e.name === 'exception')!;
    expect(event.attributes).toMatchObject({ 'exception.type': 'ValueError', 'exception.message': 'bad input 7' });

    const other = fixture.app(queueName());
    exporter.reset();
    fixture.track(await other.sendTask('otel.elsewhere'));
    await new Promise((r) => setTimeout(r, 100));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('an automatic retry: the run span has celery.retry.reason and RETRY, the resent task is its child, all in one trace', async () => {
    const queue = queueName();
    const app = fixture.app(queue);
    instrumentCelery(app, { tracerProvider: provider });
    let calls = 0;
    app.task('otel.flaky', () => {
      calls += 1;
      if (calls === 1) throw new ValueError('try again');
      return 'ok';
    }, { autoretryFor: [ValueError], retryKwargs: { countdown: 0, maxRetries: 2 } });
    await fixture.worker(app, queue);
    const result = fixture.track(await app.sendTask('otel.flaky'));
    expect(await result.get({ timeout: 10 })).toBe('ok');
    // The resent task may start (and end) before the run that sent it has ended: tell them by retries.
    const runs = await waitForSpans('run/otel.flaky', 2);
    const first = runs.find((s) => s.attributes['celery.retries'] === undefined);
    const second = runs.find((s) => s.attributes['celery.retries'] === 1);
    const publishes = await waitForSpans('apply_async/otel.flaky', 2);
    expect(first!.attributes).toMatchObject({ 'celery.state': 'RETRY', 'celery.retry.reason': 'try again' });
    expect(first!.status.code).toBe(SpanStatusCode.UNSET);
    expect(second!.attributes).toMatchObject({ 'celery.state': 'SUCCESS', 'celery.retries': 1 });
    const resend = publishes.find((p) => p.parentSpanContext?.spanId === first!.spanContext().spanId)!;
    expect(resend).toBeDefined();
    expect(second!.parentSpanContext?.spanId).toBe(resend.spanContext().spanId);
    expect(new Set([first, second, ...publishes].map((s) => s!.spanContext().traceId)).size).toBe(1);
  });

  it('writes traceparent and tracestate as the W3C propagator of @opentelemetry/core reads them', async () => {
    const queue = queueName();
    const app = fixture.app(queue);
    instrumentCelery(app, { tracerProvider: provider });
    app.task('otel.headers', (ctx: TaskContext) => ({ ...ctx.request.headers }), { bind: true });
    await fixture.worker(app, queue);
    const remote = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED,
      isRemote: true, traceState: createTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
    });
    const result = fixture.track(await context.with(remote, () => app.sendTask<Record<string, unknown>>('otel.headers')));
    const headers = await result.get({ timeout: 10 });
    const publish = await spanFor('apply_async/otel.headers', result.id);
    expect(headers['traceparent']).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${publish.spanContext().spanId}-01`);
    expect(headers['tracestate']).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    const official = trace.getSpanContext(new W3CTraceContextPropagator().extract(context.active(), headers, {
      get: (c, k) => (c as Record<string, string>)[k], keys: (c) => Object.keys(c as object),
    }))!;
    expect(official).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: publish.spanContext().spanId, traceFlags: 1 });
    expect(official.traceState?.get('rojo')).toBe('00f067aa0ba902b7');
  });
});

describe('across languages (Python Celery 5.2.6)', () => {
  const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
  const SPAN_ID = 'b7ad6b7169203331';

  it('Python client → cq worker: the run span continues the trace Python injected in before_task_publish', async () => {
    const queue = queueName();
    const app = fixture.app(queue);
    instrumentCelery(app, { tracerProvider: provider });
    app.task('otel.add', (x: number, y: number) => x + y);
    await fixture.worker(app, queue);
    const reply = await fixture.pythonClient(queue, {
      name: 'otel.add', args: [20, 22], traceparent: { trace_id: TRACE_ID, span_id: SPAN_ID, flags: 1 }, tracestate: 'py=1',
    });
    expect(reply.result).toBe(42);
    fixture.track(app.asyncResult(reply.id));
    const run = await spanFor('run/otel.add', reply.id);
    expect(run.spanContext().traceId).toBe(TRACE_ID);
    expect(run.parentSpanContext).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
    expect(run.spanContext().traceState?.get('py')).toBe('1');
    expect(run.attributes).toMatchObject({ 'celery.state': 'SUCCESS', 'messaging.message.id': reply.id, 'celery.task_name': 'otel.add' });
    expect(String(run.attributes['celery.hostname'])).toMatch(/^gen\d+@/); // the Python client's origin
  });

  it('cq client → Python worker: the task reads the publish span as traceparent from its request, where Python\'s getter looks', async () => {
    const queue = queueName();
    const app = fixture.app(queue);
    instrumentCelery(app, { tracerProvider: provider });
    await fixture.pythonWorker(queue);
    const remote = trace.setSpanContext(context.active(), {
      traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: createTraceState('cq=2'),
    });
    const result = fixture.track(await context.with(remote, () => app.sendTask<{ traceparent: string; tracestate: string }>('otel.py.trace_headers')));
    const seen = await result.get({ timeout: 20 });
    const publish = await spanFor('apply_async/otel.py.trace_headers', result.id);
    expect(publish.parentSpanContext?.spanId).toBe(SPAN_ID);
    expect(seen).toEqual({ traceparent: `00-${TRACE_ID}-${publish.spanContext().spanId}-01`, tracestate: 'cq=2' });
  });

  it('the raw messages: cq puts traceparent in the message headers next to id and task, as Python\'s inject(headers) does', async () => {
    const queue = queueName();
    const app = fixture.app(queue);
    instrumentCelery(app, { tracerProvider: provider });
    const sent = await app.sendTask('otel.parked', [1]);
    const publish = await spanFor('apply_async/otel.parked', sent.id);
    // Python sends one more to the same queue, with the header injected by its before_task_publish receiver, and reads both back.
    const reply = await fixture.pythonClient(queue, {
      name: 'otel.parked', args: [2], traceparent: { trace_id: TRACE_ID, span_id: SPAN_ID, flags: 1 }, wait: false, peek: queue,
    });
    const byId = new Map(reply.raw!.map((m) => [m.headers['id'], m.headers]));
    const fromPython = byId.get(reply.id)!;
    const fromCq = byId.get(sent.id)!;
    expect(fromPython['traceparent']).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(fromCq['traceparent']).toBe(`00-${publish.spanContext().traceId}-${publish.spanContext().spanId}-01`);
    for (const headers of [fromPython, fromCq]) expect(headers).toMatchObject({ task: 'otel.parked', lang: 'py' });
    expect(fromCq['tracestate']).toBeUndefined();
  });
});
