/**
 * Flower's task API (`flower/api/tasks.py`), answered from the event store and the app:
 *
 * | route | answer |
 * |---|---|
 * | `GET /api/tasks` | `{uuid: task}` in order; `limit`, `offset`, `sort_by`, `workername`, `taskname`, `state`, `received_start`, `received_end`, `search` |
 * | `GET /api/task/types` | `{"task-types": [names]}` |
 * | `GET /api/task/info/<id>` | the task (404 when unknown) |
 * | `GET /api/task/result/<id>` | `{"task-id", state, result?, traceback?}` from the result backend; `timeout` (s) waits (503 without a backend) |
 * | `POST /api/task/apply/<name>` | sends, waits, `{"task-id", state, result}` |
 * | `POST /api/task/async-apply/<name>` | sends, `{"task-id", state}` (404 for a name nobody knows) |
 * | `POST /api/task/send-task/<name>` | sends by name, `{"task-id", state}` |
 * | `POST /api/task/abort/<id>` | stores state ABORTED (Celery's abortable tasks read it), `{message}` |
 * | `GET /api/queues/length` | `{"active_queues": [{name, messages}]}` |
 *
 * `state` is in the apply answers only when a result backend is configured, as in Flower.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AsyncResult, TaskMeta } from '@cq/celery';
import { readApplyRequest } from '../apply-options.js';
import { isTaskName, type DashboardContext } from '../context.js';
import { ApiError } from '../errors.js';
import { listedTask, safeResult, taskAsDict } from '../flower.js';
import { argument, localMinuteArgument, numberArgument } from '../http.js';
import type { TaskFilter } from '../store/task-query.js';

/** The listing filters of a request (Flower's parameters; `All` means no filter). */
export function taskFilter(request: FastifyRequest): TaskFilter {
  const all = (v: string | undefined): string | null => (v && v !== 'All' ? v : null);
  return {
    limit: numberArgument(request, 'limit', 'int') ?? null,
    offset: Math.max(numberArgument(request, 'offset', 'int') ?? 0, 0),
    sortBy: argument(request, 'sort_by') || null,
    worker: all(argument(request, 'workername')),
    name: all(argument(request, 'taskname')),
    state: all(argument(request, 'state')),
    receivedStart: localMinuteArgument(request, 'received_start') ?? null,
    receivedEnd: localMinuteArgument(request, 'received_end') ?? null,
    startedStart: localMinuteArgument(request, 'started_start') ?? null,
    startedEnd: localMinuteArgument(request, 'started_end') ?? null,
    search: argument(request, 'search') || null,
  };
}

/** Flower's `update_response_result`: `result` (and `traceback` for a failure) from the stored meta. */
function withResult(response: Record<string, unknown>, meta: TaskMeta): Record<string, unknown> {
  response['result'] = safeResult(meta.status, meta.result);
  if (meta.status === 'FAILURE') response['traceback'] = meta.traceback ?? null;
  return response;
}

export function taskRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  const { app, store, recorder } = ctx;
  const hasBackend = (): boolean => app.resultBackendUrl !== null;

  server.get('/api/tasks', async (request) => {
    await recorder.flush();
    const rows = await store.tasks(taskFilter(request));
    const children = await store.children(rows.map((r) => r.uuid));
    return Object.fromEntries(rows.map((row) => [row.uuid, listedTask(row, children.get(row.uuid))]));
  });

  server.get('/api/task/types', async () => {
    await recorder.flush();
    return { 'task-types': await store.taskTypes() };
  });

  server.get<{ Params: { id: string } }>('/api/task/info/:id', async (request) => {
    await recorder.flush();
    const row = await store.task(request.params.id);
    if (!row) throw new ApiError(404, `Unknown task '${request.params.id}'`);
    return taskAsDict(row, (await store.children([row.uuid])).get(row.uuid));
  });

  server.get<{ Params: { id: string } }>('/api/task/result/:id', async (request) => {
    if (!hasBackend()) throw new ApiError(503, 'No result backend is configured');
    const timeout = numberArgument(request, 'timeout', 'float');
    const result = app.asyncResult(request.params.id);
    if (timeout) await result.get({ timeout, propagate: false }).catch(() => undefined);
    const meta = await result.meta();
    const response: Record<string, unknown> = { 'task-id': request.params.id, state: meta.status };
    return ['SUCCESS', 'FAILURE', 'REVOKED'].includes(meta.status) ? withResult(response, meta) : response;
  });

  const send = async (name: string, body: unknown, requireKnown: boolean): Promise<AsyncResult> => {
    if (requireKnown && !(await isTaskName(ctx, name))) throw new ApiError(404, `Unknown task '${name}'`);
    const { args, options } = readApplyRequest(body);
    return app.sendTask(name, args, options);
  };

  server.post<{ Params: { name: string } }>('/api/task/apply/:name', async (request) => {
    const result = await send(request.params.name, request.body, true);
    const response: Record<string, unknown> = { 'task-id': result.id };
    if (!hasBackend()) return response;
    await result.get({ propagate: false }).catch(() => undefined);
    const meta = await result.meta();
    return { ...withResult(response, meta), state: meta.status };
  });

  for (const [path, requireKnown] of [['/api/task/async-apply/:name', true], ['/api/task/send-task/:name', false]] as const) {
    server.post<{ Params: { name: string } }>(path, async (request) => {
      const result = await send(request.params.name, request.body, requireKnown);
      return hasBackend() ? { 'task-id': result.id, state: await result.state() } : { 'task-id': result.id };
    });
  }

  server.post<{ Params: { id: string } }>('/api/task/abort/:id', async (request) => {
    const backend = await app.backend();
    if (!backend) throw new ApiError(503, 'No result backend is configured');
    await backend.storeResult(request.params.id, null, 'ABORTED');
    return { message: `Aborted '${request.params.id}'` };
  });

  server.get('/api/queues/length', async () => ({ active_queues: await ctx.queues.lengths() }));
}
