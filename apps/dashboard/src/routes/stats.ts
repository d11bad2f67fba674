/**
 * Statistics for the overview page (the dashboard's own, beside Flower's API):
 *
 * | route | answer |
 * |---|---|
 * | `GET /api/stats/throughput` | `{ interval, since, until, times, series: { received, succeeded, failed, retried, revoked, rejected }, totals }`: task events per bucket (see `stats.ts`); `interval` (s, default 60), `since` and `until` (Unix s; default the 60 buckets up to now) |
 * | `GET /api/stats/tasks` | `{ states: { STATE: count }, total }` over the stored tasks |
 */
import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';
import { numberArgument } from '../http.js';
import { taskStates, throughput } from '../stats.js';

/** Default bucket width, seconds, and default number of buckets. */
const DEFAULT_INTERVAL = 60;
const DEFAULT_BUCKETS = 60;

export function statsRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  server.get('/api/stats/throughput', async (request) => {
    await ctx.recorder.flush();
    const interval = numberArgument(request, 'interval', 'float') ?? DEFAULT_INTERVAL;
    const until = numberArgument(request, 'until', 'float') ?? Date.now() / 1000;
    const since = numberArgument(request, 'since', 'float') ?? (Math.floor(until / interval) - DEFAULT_BUCKETS + 1) * interval;
    return throughput(ctx.store, { interval, since, until });
  });

  server.get('/api/stats/tasks', async () => {
    await ctx.recorder.flush();
    return taskStates(ctx.store);
  });
}
