/**
 * `GET /api/workers` (Flower `ListWorkers`): `{name: {stats, active_queues, registered, scheduled,
 * active, reserved, revoked, conf, timestamp}}`, what inspecting each worker returned (secrets
 * masked). `refresh=1` inspects first (the known live workers, else everyone; 503 when the broker
 * fails), `workername` picks one (404 when unknown), `status=1` answers `{name: alive}` instead, alive
 * meaning a heartbeat within twice the worker's heartbeat interval.
 */
import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';
import { ApiError } from '../errors.js';
import { argument, boolArgument } from '../http.js';
import type { WorkerRow } from '../store/event-store.js';

/** Whether a worker is alive as of `now` (s): not offline, and its last heartbeat within `freq` × 2. */
export function workerAlive(worker: WorkerRow, now: number = Date.now() / 1000): boolean {
  const last = worker.heartbeats[worker.heartbeats.length - 1];
  return worker.online && last !== undefined && now < last + (worker.freq ?? 60) * 2;
}

export function workerRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  server.get('/api/workers', async (request) => {
    const refresh = boolArgument(request, 'refresh');
    const status = boolArgument(request, 'status');
    const name = argument(request, 'workername') || null;
    await ctx.recorder.flush();
    if (refresh) {
      const alive = (await ctx.store.workers()).filter((w) => workerAlive(w)).map((w) => w.hostname);
      try {
        await ctx.inspector.update(name ? [name] : alive);
      } catch (err) {
        throw new ApiError(503, `Failed to update workers: ${(err as Error).message}`, { cause: err });
      }
    }
    const workers = await ctx.store.workers();
    if (status) return Object.fromEntries(workers.map((w) => [w.hostname, workerAlive(w)]));
    const inspected = workers.filter((w) => w.info !== null && (!name || w.hostname === name));
    if (name && inspected.length === 0) throw new ApiError(404, `Unknown worker '${name}'`);
    return Object.fromEntries(inspected.map((w) => [w.hostname, w.info]));
  });
}
