import { afterEach, describe, expect, it } from 'vitest';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Celery, createLogger } from '@cq/app';
import { instrumentCelery } from './instrumentation.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
afterEach(() => exporter.reset());

describe('eager runs (task_always_eager)', () => {
  it('make a run span under the caller\'s span, current while the function runs', async () => {
    const app = new Celery('eager', { task_always_eager: true });
    app.log = createLogger({ level: 'critical' });
    const otel = instrumentCelery(app, { tracerProvider: provider });
    const tracer = provider.getTracer('test');
    const square = app.task('eager.square', (x: number) => tracer.startActiveSpan('inside', (span) => {
      span.end();
      return x * x;
    }));
    const result = await tracer.startActiveSpan('caller', async (span) => {
      try {
        return await square.delay(7);
      } finally {
        span.end();
      }
    });
    expect(await result.get()).toBe(49);
    const byName = new Map(exporter.getFinishedSpans().map((s) => [s.name, s]));
    const caller = byName.get('caller')!;
    const run = byName.get('run/eager.square')!;
    const inside = byName.get('inside')!;
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(inside.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(run.attributes).toMatchObject({ 'celery.action': 'run', 'celery.state': 'SUCCESS', 'celery.task_name': 'eager.square', 'messaging.message.id': result.id });
    expect([...byName.keys()].some((n) => n.startsWith('apply_async/'))).toBe(false);
    otel.uninstrument();
  });
});
