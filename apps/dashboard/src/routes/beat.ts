/**
 * `GET /api/ui/beat`: the beat schedule with its recorded runs (see `beat-schedule.ts`): `{
 * configured, state: { kind, where, error }, timezone, entries: [{ name, task, schedule, args, kwargs,
 * options, last_run_at, next_run_at, total_run_count, error }] }`, times in Unix seconds.
 */
import type { FastifyInstance } from 'fastify';
import { readBeatSchedule } from '../beat-schedule.js';
import type { DashboardContext } from '../context.js';

export function beatRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  server.get('/api/ui/beat', async () => readBeatSchedule(ctx.app, { file: ctx.options.beatScheduleFilename }));
}
