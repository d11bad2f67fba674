/**
 * `GET /api/ui/task/<id>/graph`: the canvas graph of a task (its chain, group and chord), laid out
 * in layers (see `canvas-graph.ts`): `{ task, root, nodes: [{ id, name, state, worker, group,
 * recorded, layer, order }], edges: [{ from, to, kind }], groups: [{ id, members, callback }],
 * truncated, results }`. Relations come from the recorded events and, with a result backend, from
 * the tasks' results (group ids, children). 404 for a task the dashboard has not recorded.
 */
import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';
import { ApiError } from '../errors.js';
import { buildCanvasGraph, type GraphResultMeta, type GraphSources } from '../canvas-graph.js';

export function canvasRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  server.get<{ Params: { id: string } }>('/api/ui/task/:id/graph', async (request) => {
    await ctx.recorder.flush();
    const backend = ctx.app.resultBackendUrl !== null ? await ctx.app.backend().catch(() => null) : null;
    const sources: GraphSources = {
      task: (uuid) => ctx.store.task(uuid),
      tasks: (uuids) => ctx.store.tasksById(uuids),
      children: (uuids) => ctx.store.children(uuids),
      ...(backend ? {
        metas: async (uuids: readonly string[]) => {
          const metas = await backend.getManyTaskMeta(uuids);
          return new Map<string, GraphResultMeta>(uuids.map((uuid, i) => [uuid, metas[i]!]));
        },
        group: async (gid: string) => (await backend.restoreGroup(gid))?.result ?? null,
      } : {}),
    };
    const graph = await buildCanvasGraph(sources, request.params.id);
    if (!graph) throw new ApiError(404, `Unknown task '${request.params.id}'`);
    return graph;
  });
}
