/** What the HTTP routes work with: the parts a {@link Dashboard} puts together. */
import type { Celery, Control } from '@cq/celery';
import type { WorkerInspector } from './inspector.js';
import type { DashboardMetrics } from './metrics.js';
import type { DashboardOptions } from './options.js';
import type { QueueLengths } from './queues.js';
import type { EventRecorder } from './recorder.js';
import type { EventStore } from './store/event-store.js';

export interface DashboardContext {
  readonly app: Celery;
  readonly options: DashboardOptions;
  readonly store: EventStore;
  readonly recorder: EventRecorder;
  readonly control: Control;
  readonly inspector: WorkerInspector;
  readonly queues: QueueLengths;
  readonly metrics: DashboardMetrics;
}

/** Whether the dashboard knows a worker: heard from it or inspected it (Flower `is_worker`). */
export async function isWorker(ctx: DashboardContext, name: string): Promise<boolean> {
  return name !== '' && (ctx.recorder.state.workers.has(name) || (await ctx.store.worker(name)) !== undefined);
}

/**
 * Whether a task name is known: registered in the dashboard's app (Flower's only test), registered
 * on a worker it inspected, or seen in an event.
 */
export async function isTaskName(ctx: DashboardContext, name: string): Promise<boolean> {
  if (ctx.app.tasks.has(name)) return true;
  if ((await ctx.store.workers()).some((w) => Array.isArray(w.info?.['registered']) && (w.info['registered'] as unknown[]).some((r) => typeof r === 'string' && r.split(' ', 1)[0] === name))) return true;
  return (await ctx.store.countTasks({ name, limit: 1 })) > 0;
}
