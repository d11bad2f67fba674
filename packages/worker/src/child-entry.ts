/**
 * The entry module every child of a `prefork` or `threads` pool loads (a @cq/billiard entry; Celery's
 * `process_initializer` + `trace_task` in the child). It imports the app module (the worker's
 * `appModule`, the CLI's `-A`), applies the parent's broker/result URLs, sends `worker_process_init`,
 * and then runs one {@link TaskCall} at a time: it finds the task, calls it with a context whose
 * `signal` aborts with `SoftTimeLimitExceeded` at the soft limit, whose `retry()` throws the Retry
 * signal back to the parent, and whose `updateState()` stores through the child's own result backend
 * (opened on first use through the app's plugins, as Celery's children do). A graceful exit sends `worker_process_shutdown` and
 * closes the app's connections.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Celery, CeleryError, NotRegistered, SoftTimeLimitExceeded, runWithContext, worker_process_init, worker_process_shutdown,
  type Task, type TaskContext,
} from '@cq/app';
import type { TaskRequest as BackendRequest } from '@cq/backend';
import type { JobContext, JobHandler } from '@cq/billiard';
import { registerBuiltins } from '@cq/canvas';
import type { TaskCall } from './executor.js';

/** `initArgs` of the pool: where the app is and the parent's URLs (so CLI flags such as `-b` carry over). */
export interface ChildInitArgs {
  /** Absolute path or file URL of the app module; `path:name` picks an export other than `app`/default. */
  appModule: string;
  brokerUrl?: string;
  resultBackend?: string;
}

let app: Celery | undefined;

/** Imports the app module: `require` under the CommonJS hook of a TypeScript thread, `import()` otherwise. */
async function loadApp(spec: string): Promise<Celery> {
  const colon = spec.lastIndexOf(':');
  const hasAttr = colon > 1 && !spec.slice(colon).includes('/');
  const file = hasAttr ? spec.slice(0, colon) : spec;
  const attr = hasAttr ? spec.slice(colon + 1) : null;
  const filePath = file.startsWith('file:') ? fileURLToPath(file) : path.resolve(file);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS hook of a TypeScript thread (see the doc above)
  const mod = (typeof require === 'function' ? require(filePath) : await import(pathToFileURL(filePath).href)) as Record<string, unknown>;
  const candidate = attr ? mod[attr] : mod['app'] ?? mod['default'];
  if (!Celery.isApp(candidate)) throw new TypeError(`app module ${spec} does not export a Celery app as ${attr ?? '`app` or default'}`);
  return candidate;
}

/** billiard `onProcessInit`: loads the app, then sends `worker_process_init` (awaited). */
export async function onProcessInit(args: ChildInitArgs): Promise<void> {
  app = await loadApp(args.appModule);
  registerBuiltins(app); // as the parent's Worker does: celery.chord_unlock, celery.group... run here too
  app.configure({
    ...(args.brokerUrl ? { brokerUrl: args.brokerUrl } : {}),
    ...(args.resultBackend ? { resultBackend: args.resultBackend } : {}),
  });
  await worker_process_init.sendAsync(null, {});
}

/** billiard `onProcessShutdown`: sends `worker_process_shutdown` and closes the app's connections. */
export async function onProcessShutdown(): Promise<void> {
  await worker_process_shutdown.sendAsync(null, { pid: process.pid, exitcode: 0 });
  await app?.close();
}

function taskContext(celery: Celery, task: Task, call: TaskCall, job: JobContext): TaskContext {
  let controller: AbortController | undefined;
  return {
    name: call.name,
    request: call.request,
    // Made on first use: billiard's signal aborts with its own SoftTimeLimitExceeded; the task sees the app's.
    get signal() {
      if (!controller) {
        const own = (controller = new AbortController());
        const source = job.signal;
        const follow = (): void => {
          const reason = source.reason as Error | undefined;
          own.abort(reason?.name === 'SoftTimeLimitExceeded' ? new SoftTimeLimitExceeded(reason.message) : reason);
        };
        if (source.aborted) follow();
        else source.addEventListener('abort', follow, { once: true });
      }
      return controller.signal;
    },
    retry(options = {}): never {
      throw task.retrySignal(call.request, options);
    },
    async updateState({ state, meta }) {
      const backend = await celery.backend();
      await backend?.storeResult(call.request.id, meta ?? null, state, { request: backendRecord(call.request) });
    },
  };
}

/** What the result backend records for the request (as the parent's `backendRequest`). */
function backendRecord(r: TaskCall['request']): BackendRequest {
  return {
    task: r.task, args: r.args, kwargs: r.kwargs, hostname: r.hostname, retries: r.retries, group: r.group, parentId: r.parentId,
    deliveryInfo: { routingKey: r.deliveryInfo.routing_key }, replyTo: r.replyTo ?? undefined, correlationId: r.correlationId ?? undefined,
  };
}

/** billiard `init`: the handler running one task call. */
export function init(): JobHandler {
  return async (payload, job) => {
    const celery = app!;
    const call = payload as TaskCall;
    const task = celery.tasks.get(call.name);
    if (!task) throw new NotRegistered(call.name);
    const context = taskContext(celery, task, call, job);
    try {
      return await runWithContext(context, () => task.invoke(context, call.args, call.kwargs));
    } catch (error) {
      // `module` is a getter on the class: copy it onto the error so the stored exc_module survives the crossing.
      if (error instanceof CeleryError) Object.defineProperty(error, 'module', { value: error.module, enumerable: true });
      throw error;
    }
  };
}
