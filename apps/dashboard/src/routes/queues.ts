/**
 * The queues page's endpoint (the dashboard's own; Flower's `/api/queues/length` stays as it is):
 *
 * `GET /api/ui/queues` → `[{ name, messages, consumers: [{ worker, alive }] }]`, sorted by name: the
 * queues the known workers consume (their last inspected `active_queues`) and the app's own
 * (`task_queues`, else `task_default_queue`), so a queue nobody consumes any more still shows its
 * backlog; `messages` counted on the broker as `/api/queues/length` counts them, `consumers` the
 * workers whose inspected `active_queues` name it (after an add/cancel consumer, `GET
 * /api/workers?refresh=1&workername=<w>` inspects the worker again). 503 when the broker cannot be
 * reached.
 */
import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';
import { ApiError } from '../errors.js';
import { workerAlive } from './workers.js';

export interface QueueView {
  name: string;
  messages: number;
  consumers: { worker: string; alive: boolean }[];
}

/** Names of the app's own queues; none when its configuration names a queue it cannot build. */
function appQueueNames(ctx: DashboardContext): string[] {
  try {
    return ctx.app.defaultQueues().map((q) => q.name);
  } catch {
    return [];
  }
}

export function queueRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  server.get('/api/ui/queues', async (): Promise<QueueView[]> => {
    await ctx.recorder.flush();
    const now = Date.now() / 1000;
    const consumers = new Map<string, { worker: string; alive: boolean }[]>();
    for (const worker of await ctx.store.workers()) {
      const active = worker.info?.['active_queues'];
      if (!Array.isArray(active)) continue;
      const alive = workerAlive(worker, now);
      for (const q of active as { name?: unknown }[]) {
        if (typeof q.name !== 'string') continue;
        const list = consumers.get(q.name) ?? [];
        list.push({ worker: worker.hostname, alive });
        consumers.set(q.name, list);
      }
    }
    const names = [...new Set([...consumers.keys(), ...(await ctx.queues.names()), ...appQueueNames(ctx)])].sort();
    let lengths;
    try {
      lengths = await ctx.queues.lengths(names);
    } catch (err) {
      throw new ApiError(503, `Cannot count the queues: ${(err as Error).message}`, { cause: err });
    }
    return lengths.map(({ name, messages }) => ({ name, messages, consumers: consumers.get(name) ?? [] }));
  });
}
