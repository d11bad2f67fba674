/**
 * The instrumentation: Python's `CeleryInstrumentor` (opentelemetry-instrumentation-celery) on cq's
 * signals, so one trace crosses Python and cq clients and workers.
 *
 * ```ts
 * import { trace } from '@opentelemetry/api';
 * import { instrumentCelery } from '@cq/opentelemetry';
 *
 * export const app = new Celery('proj', { broker_url: 'redis://' });
 * instrumentCelery(app, { tracerProvider });      // or: new Celery(name, conf, { plugins: [openTelemetry({ tracerProvider })] })
 * ```
 *
 * What happens, signal by signal, for the app it was installed in (other apps are left alone):
 * - `before_task_publish`: a PRODUCER span `apply_async/<task name>` starts, its parent the active
 *   context (when no span is active: the run span of the task being retried, or of the task whose
 *   child the message is, as the worker sends retries and chain links after the function returned);
 *   its context is injected into the message `headers` (`traceparent`, `tracestate`): where Python's
 *   `inject(headers)` puts them, next to `id` and `task`;
 * - `after_task_publish`: the publish span ends (Python leaves it open for a task it has not
 *   registered, `send_task`; here it always ends);
 * - `task_prerun`: the context is extracted from the request's headers and a CONSUMER span
 *   `run/<task name>` starts under it;
 * - the task function runs with the run span current (the app's invoke wrapper), so spans the task
 *   makes and tasks it sends are its children;
 * - `task_failure`: the error is recorded on the run span, status ERROR with its message;
 * - `task_retry`: `celery.retry.reason` is set;
 * - `task_postrun`: the run span gets its attributes (attributes.ts) and `celery.state`, and ends.
 *   A run that never reaches task_postrun ends here too: revoked with terminate (`celery.revoked.reason`,
 *   `celery.terminated.signal`, state REVOKED) or cancelled by a worker shutdown (state RETRY).
 *
 * Pools: the task signals are sent in the worker's main process, so the run span is made there for
 * every pool. With `async` and `solo` the function runs there too and the run span is current while
 * it runs. With `prefork` and `threads` it runs in a child, which imports the app module (and so is
 * instrumented when the module instruments its app): there the context extracted from the message is
 * current, so the task's own spans join the trace under the publish span rather than the run span.
 *
 * Nothing is connected before `instrumentCelery()` / the plugin's install, and `uninstrument()`
 * disconnects everything: a process that does not instrument pays nothing (a signal with no
 * receivers returns at once; a task call with no wrappers is a direct call).
 */
import {
  context, propagation, SpanKind, SpanStatusCode, trace,
  type Span, type TextMapPropagator, type Tracer, type TracerProvider,
} from '@opentelemetry/api';
import {
  after_task_publish, before_task_publish, task_failure, task_postrun, task_prerun, task_retry, task_revoked,
  type Celery, type CeleryPlugin, type InvokeWrapper, type Task,
} from '@cq/app';
import {
  APPLY_ASYNC, CELERY_ACTION, CELERY_RETRY_REASON, CELERY_REVOKED_REASON, CELERY_STATE, CELERY_TASK_NAME,
  CELERY_TERMINATED_SIGNAL, MESSAGING_MESSAGE_ID, RUN, setPublishAttributes, setRequestAttributes,
} from './attributes.js';
import { headerGetter, headerSetter } from './carrier.js';
import { OtelConfigError } from './errors.js';
import { PendingSpans } from './pending.js';
import { RunSpans, type RunEntry } from './run-spans.js';
import { W3CTraceContext } from './w3c.js';

/** The plugin's name; also the instrumentation scope name of its tracer. */
export const INSTRUMENTATION_NAME = '@cq/opentelemetry';
/** The instrumentation scope version (this package's). */
export const INSTRUMENTATION_VERSION = '0.1.0';
/** The schema URL Python's instrumentation gives its tracer. */
export const SCHEMA_URL = 'https://opentelemetry.io/schemas/1.11.0';

export interface CeleryInstrumentationOptions {
  /** Where spans go (Python's `tracer_provider=`). Default the global one, `trace.getTracerProvider()`. */
  tracerProvider?: TracerProvider;
  /**
   * How context crosses in the message headers. Default the global propagator
   * (`propagation.setGlobalPropagator`, which NodeSDK sets), and when none is registered W3C trace
   * context (`traceparent`, `tracestate`), as Python's default `tracecontext` propagator.
   */
  propagator?: TextMapPropagator;
  /** Open spans kept per table (publish, run) at most; past it the oldest is ended. Default 10,000. */
  maxPendingSpans?: number;
}

/** The plugin, with a handle to stop it. */
export interface CeleryInstrumentation extends CeleryPlugin {
  /** True between install and `uninstrument()`. */
  readonly instrumented: boolean;
  /** Disconnects from the signals and the app, and ends the spans still open. Idempotent. */
  uninstrument(): void;
}

/**
 * The instrumentation as a plugin for `new Celery(name, conf, { plugins: [...] })` or `app.use()`;
 * one app per plugin.
 * @throws OtelConfigError from install when the plugin is installed in a second app, and here for a
 *   `maxPendingSpans` below 1.
 */
export function openTelemetry(options: CeleryInstrumentationOptions = {}): CeleryInstrumentation {
  const limit = options.maxPendingSpans ?? 10_000;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new OtelConfigError(`maxPendingSpans must be an integer >= 1, not ${String(limit)}`);
  const fallback = new W3CTraceContext();
  const propagator = (): TextMapPropagator => options.propagator ?? (propagation.fields().length > 0 ? propagation : fallback);
  const publishes = new PendingSpans<{ span: Span }>(limit);
  const runs = new RunSpans(limit);
  const disconnect: Array<() => void> = [];
  let app: Celery | null = null;
  let tracer: Tracer | null = null;
  let active = false;

  /** Sets the run span's attributes as Python's `_trace_postrun` does, and ends it. */
  function finish(entry: RunEntry, task: Task, state: string): void {
    const { span, request } = entry;
    if (span.isRecording()) {
      span.setAttribute(CELERY_ACTION, RUN);
      if (state) span.setAttribute(CELERY_STATE, state);
      setRequestAttributes(span, request);
      span.setAttribute(CELERY_TASK_NAME, task.name);
    }
    span.end();
  }

  const wrapper: InvokeWrapper = (_task, ctx, run) => {
    const entry = runs.of(ctx.request);
    const current = entry ? entry.context : propagator().extract(context.active(), ctx.request.headers, headerGetter);
    return context.with(current, run);
  };

  function install(target: Celery): void {
    if (app && app !== target) throw new OtelConfigError('this OpenTelemetry instrumentation is installed in another app already: create one per app');
    if (active) return;
    app = target;
    active = true;
    tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, { schemaUrl: SCHEMA_URL });
    const mine = (task: { app: unknown }): boolean => task.app === target;
    target.invokeWrappers.push(wrapper);
    disconnect.push(
      () => {
        const at = target.invokeWrappers.indexOf(wrapper);
        if (at >= 0) target.invokeWrappers.splice(at, 1);
      },
      before_task_publish.connect(({ sender, headers, exchange, routingKey, declare, app: from }) => {
        if (from !== target) return;
        const id = headers['id'];
        if (typeof id !== 'string') return;
        let parent = context.active();
        if (!trace.getSpan(parent)) {
          const parentId = headers['parent_id'];
          const running = runs.latest(id) ?? (typeof parentId === 'string' ? runs.latest(parentId) : undefined);
          if (running) parent = running.context;
        }
        const span = tracer!.startSpan(`${APPLY_ASYNC}/${sender}`, { kind: SpanKind.PRODUCER }, parent);
        if (span.isRecording()) {
          span.setAttribute(CELERY_ACTION, APPLY_ASYNC);
          span.setAttribute(MESSAGING_MESSAGE_ID, id);
          span.setAttribute(CELERY_TASK_NAME, sender);
          setPublishAttributes(span, { exchange, routingKey, declare });
        }
        publishes.set(id, { span });
        propagator().inject(trace.setSpan(parent, span), headers, headerSetter);
      }),
      after_task_publish.connect(({ headers, app: from }) => {
        if (from !== target) return;
        const id = headers['id'];
        if (typeof id === 'string') publishes.take(id)?.span.end();
      }),
      task_prerun.connect(({ sender, request }) => {
        if (!mine(sender)) return;
        const extracted = propagator().extract(context.active(), request.headers, headerGetter);
        const span = tracer!.startSpan(`${RUN}/${sender.name}`, { kind: SpanKind.CONSUMER }, extracted);
        runs.add({ span, context: trace.setSpan(extracted, span), request });
      }),
      task_failure.connect(({ sender, taskId, exception }) => {
        if (!mine(sender)) return;
        const span = runs.latest(taskId)?.span;
        if (!span?.isRecording()) return;
        span.recordException(exception);
        span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
      }),
      task_retry.connect(({ sender, request, reason }) => {
        if (!mine(sender)) return;
        if (reason === null) {
          // Cancelled by a worker shutdown: no task_postrun follows.
          const entry = runs.take(request);
          if (entry) finish(entry, sender, 'RETRY');
          return;
        }
        const span = runs.of(request)?.span;
        if (span?.isRecording()) span.setAttribute(CELERY_RETRY_REASON, reason instanceof Error ? reason.message : String(reason));
      }),
      task_revoked.connect(({ sender, request, terminated, signum, expired }) => {
        if (!mine(sender)) return;
        const entry = runs.take(request);
        if (!entry) return; // revoked before it ran: there is no run span, as in Python
        if (entry.span.isRecording()) {
          entry.span.setAttribute(CELERY_REVOKED_REASON, expired ? 'expired' : terminated ? 'terminated' : 'revoked');
          if (terminated && signum !== null) entry.span.setAttribute(CELERY_TERMINATED_SIGNAL, String(signum));
        }
        finish(entry, sender, 'REVOKED');
      }),
      task_postrun.connect(({ sender, state, request }) => {
        if (!mine(sender)) return;
        const entry = runs.take(request);
        if (entry) finish(entry, sender, state);
      }),
    );
  }

  return {
    name: INSTRUMENTATION_NAME,
    get instrumented() {
      return active;
    },
    install,
    uninstrument(): void {
      if (!active) return;
      active = false;
      for (const off of disconnect.splice(0)) off();
      publishes.endAll();
      runs.endAll();
    },
  };
}

/**
 * Instruments `app` (Python's `CeleryInstrumentor().instrument(tracer_provider=...)`, scoped to one
 * app): installs {@link openTelemetry} with `options` and returns it. Call it where the app is built
 * (an app module given to `cq worker -A` is imported by pool children too, so they are instrumented
 * as well).
 * @throws OtelConfigError when `app` is instrumented already, or for a bad option.
 */
export function instrumentCelery(app: Celery, options: CeleryInstrumentationOptions = {}): CeleryInstrumentation {
  if (app.plugins.includes(INSTRUMENTATION_NAME)) throw new OtelConfigError(`${app.main}: the app is instrumented already (${INSTRUMENTATION_NAME} is installed)`);
  const plugin = openTelemetry(options);
  app.use(plugin);
  return plugin;
}
