/**
 * The UI's own endpoints (beside Flower's API, which the UI also calls for revoke):
 *
 * | route | answer |
 * |---|---|
 * | `GET /api/ui/config` | `{ readOnly }` |
 * | `GET /api/ui/tasks` | `{ total, tasks }`: Flower's listing parameters, tasks as `/api/tasks` shapes them, `total` matching the filters |
 * | `GET /api/ui/task/<id>` | `{ task, events, children }`: the task, its events in time order |
 * | `GET /api/ui/workers` | `[{ hostname, alive, active, processed, loadavg, ..., info }]` |
 * | `POST /api/ui/task/retry/<id>` | sends the task again with the arguments its events carried, to its queue when known; `{"task-id"}` (409 when its args cannot be read back) |
 * | `GET /api/ui/stream` | server-sent events: `data: {"tasks": [uuid...], "workers": [name...]}` after each write |
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';
import { ApiError } from '../errors.js';
import { listedTask, taskAsDict } from '../flower.js';
import { argument } from '../http.js';
import { LiteralParseError, taskArguments } from '../python-literal.js';
import { taskFilter } from './tasks.js';
import { workerAlive } from './workers.js';

/** Longest list of ids one stream message carries; past it `more` is true. */
const STREAM_IDS = 200;

export function uiRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  const { store, recorder } = ctx;
  const streams = new Set<ServerResponse>();

  server.get('/api/ui/config', async () => ({ readOnly: ctx.options.readOnly }));

  server.get('/api/ui/tasks', async (request) => {
    await recorder.flush();
    const filter = taskFilter(request);
    const rows = await store.tasks(filter);
    const children = await store.children(rows.map((r) => r.uuid));
    return { total: await store.countTasks(filter), tasks: rows.map((row) => listedTask(row, children.get(row.uuid))) };
  });

  server.get<{ Params: { id: string } }>('/api/ui/task/:id', async (request) => {
    await recorder.flush();
    const row = await store.task(request.params.id);
    if (!row) throw new ApiError(404, `Unknown task '${request.params.id}'`);
    const children = (await store.children([row.uuid])).get(row.uuid) ?? [];
    const events = (await store.taskEvents(row.uuid)).map((e) => ({ type: e.type, timestamp: e.timestamp, hostname: e.hostname, fields: e.fields }));
    return { task: taskAsDict(row, children), events, children, extra: row.extra ? JSON.parse(row.extra) as unknown : {} };
  });

  server.get('/api/ui/workers', async () => {
    await recorder.flush();
    const now = Date.now() / 1000;
    return (await store.workers()).map((w) => ({
      hostname: w.hostname, alive: workerAlive(w, now), online: w.online, pid: w.pid, freq: w.freq, active: w.active, processed: w.processed,
      loadavg: w.loadavg, sw_ident: w.sw_ident, sw_ver: w.sw_ver, sw_sys: w.sw_sys, last_heartbeat: w.heartbeats[w.heartbeats.length - 1] ?? null,
      info: w.info,
    }));
  });

  server.post<{ Params: { id: string } }>('/api/ui/task/retry/:id', async (request) => {
    await recorder.flush();
    const row = await store.task(request.params.id);
    if (!row?.name) throw new ApiError(404, `Unknown task '${request.params.id}'`);
    let parsed: ReturnType<typeof taskArguments>;
    try {
      parsed = taskArguments(row.args, row.kwargs);
    } catch (err) {
      if (err instanceof LiteralParseError) throw new ApiError(409, `Cannot retry '${row.uuid}': ${err.message}`, { cause: err });
      throw err;
    }
    const extra = row.extra ? JSON.parse(row.extra) as Record<string, unknown> : {};
    const queue = argument(request, 'queue') || (typeof extra['queue'] === 'string' ? extra['queue'] : '') || row.routing_key || undefined;
    const result = await ctx.app.sendTask(row.name, parsed.args, { kwargs: parsed.kwargs, ...(queue ? { queue } : {}) });
    return { 'task-id': result.id };
  });

  server.get('/api/ui/stream', (_request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    const off = recorder.onFlush(({ tasks, workers }) => {
      const more = tasks.length > STREAM_IDS || workers.length > STREAM_IDS;
      res.write(`data: ${JSON.stringify({ tasks: tasks.slice(0, STREAM_IDS), workers: workers.slice(0, STREAM_IDS), more })}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    streams.add(res);
    res.once('close', () => {
      off();
      clearInterval(ping);
      streams.delete(res);
    });
  });

  // Open streams would hold the server's close forever.
  server.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });
}
