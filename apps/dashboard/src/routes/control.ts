/**
 * Flower's control API (`flower/api/control.py`), through cq's remote control (@cq/control):
 *
 * | route | command | arguments |
 * |---|---|---|
 * | `POST /api/worker/shutdown/<w>` | `shutdown` | |
 * | `POST /api/worker/pool/restart/<w>` | `pool_restart` | |
 * | `POST /api/worker/pool/grow/<w>` | `pool_grow` | `n` (1) |
 * | `POST /api/worker/pool/shrink/<w>` | `pool_shrink` | `n` (1) |
 * | `POST /api/worker/pool/autoscale/<w>` | `autoscale` | `min`, `max` |
 * | `POST /api/worker/queue/add-consumer/<w>` | `add_consumer` | `queue` |
 * | `POST /api/worker/queue/cancel-consumer/<w>` | `cancel_consumer` | `queue` |
 * | `POST /api/task/revoke/<id>` | `revoke` (all workers) | `terminate` (false), `signal` (SIGTERM) |
 * | `POST /api/task/rate-limit/<name>` | `rate_limit` | `ratelimit`, `workername` |
 * | `POST /api/task/timeout/<name>` | `time_limit` | `soft`, `hard` (s), `workername` |
 *
 * Answers as Flower's `write_control_response`: the worker replied ok → 200 `{"message"}`; it replied
 * an error → 403, text `<what failed>: '<reason>'`; no reply within the inspect timeout → 504, text
 * `No response from worker '<w>'`. An unknown worker is a 404 (`Unknown worker '<w>'`).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Reply } from '@cq/celery';
import { isTaskName, isWorker, type DashboardContext } from '../context.js';
import { ApiError } from '../errors.js';
import { argument, boolArgument, numberArgument, requiredArgument } from '../http.js';

/** The reply of `worker` among `replies`, or undefined. */
function replyOf(replies: readonly Reply[], worker: string): unknown {
  for (const reply of replies) if (reply && typeof reply === 'object' && worker in reply) return reply[worker];
  return undefined;
}

/** Writes a control command's outcome as Flower does; `success` null echoes the worker's `ok`. */
function answer(reply: FastifyReply, replies: readonly Reply[], worker: string, success: string | null, failure: string): unknown {
  const payload = replyOf(replies, worker);
  if (payload === undefined || payload === null) return reply.code(504).type('text/plain').send(`No response from worker '${worker}'`);
  const body = typeof payload === 'object' ? (payload as Record<string, unknown>) : null;
  if (payload === 'ok' || (body !== null && 'ok' in body)) return { message: success ?? (body ? String(body['ok'] ?? '') : '') };
  const error = body ? body['error'] : payload;
  return reply.code(403).type('text/plain').send(`${failure}: '${error ? String(error) : 'Unknown reason'}'`);
}

export function controlRoutes(server: FastifyInstance, ctx: DashboardContext): void {
  const { control } = ctx;
  const timeout = ctx.options.inspectTimeout;
  const requireWorker = async (name: string): Promise<void> => {
    await ctx.recorder.flush();
    if (!(await isWorker(ctx, name))) throw new ApiError(404, `Unknown worker '${name}'`);
  };
  const ask = (command: string, worker: string, args: Record<string, unknown> = {}): Promise<Reply[]> =>
    control.broadcast(command, { arguments: args, destination: [worker], reply: true, timeout });

  type WorkerRoute = { Params: { worker: string } };

  server.post<WorkerRoute>('/api/worker/shutdown/:worker', async (request) => {
    const { worker } = request.params;
    await requireWorker(worker);
    await control.broadcast('shutdown', { destination: [worker] });
    return { message: 'Shutting down!' };
  });

  server.post<WorkerRoute>('/api/worker/pool/restart/:worker', async (request, reply) => {
    const { worker } = request.params;
    await requireWorker(worker);
    return answer(reply, await ask('pool_restart', worker, { reload: false }), worker, `Restarting '${worker}' worker's pool`, `Failed to restart the '${worker}' pool`);
  });

  for (const [verb, command, done, failed] of [['grow', 'pool_grow', 'Growing', 'grow'], ['shrink', 'pool_shrink', 'Shrinking', 'shrink']] as const) {
    server.post<WorkerRoute>(`/api/worker/pool/${verb}/:worker`, async (request, reply) => {
      const { worker } = request.params;
      await requireWorker(worker);
      const n = numberArgument(request, 'n', 'int') ?? 1;
      return answer(reply, await ask(command, worker, { n }), worker, `${done} '${worker}' worker's pool by ${n}`, `Failed to ${failed} '${worker}' worker's pool`);
    });
  }

  server.post<WorkerRoute>('/api/worker/pool/autoscale/:worker', async (request, reply) => {
    const { worker } = request.params;
    await requireWorker(worker);
    const min = numberArgument(request, 'min', 'int');
    const max = numberArgument(request, 'max', 'int');
    if (min === undefined || max === undefined) throw new ApiError(400, 'Missing argument min or max');
    return answer(reply, await ask('autoscale', worker, { min, max }), worker, `Autoscaling '${worker}' worker (min=${min}, max=${max})`, `Failed to autoscale '${worker}' worker`);
  });

  for (const [verb, command, failed] of [['add-consumer', 'add_consumer', 'add'], ['cancel-consumer', 'cancel_consumer', 'cancel']] as const) {
    server.post<WorkerRoute>(`/api/worker/queue/${verb}/:worker`, async (request, reply) => {
      const { worker } = request.params;
      await requireWorker(worker);
      const queue = requiredArgument(request, 'queue');
      const what = failed === 'add' ? `Failed to add '${queue}' consumer to '${worker}' worker` : `Failed to cancel '${queue}' consumer from '${worker}' worker`;
      return answer(reply, await ask(command, worker, { queue }), worker, null, what);
    });
  }

  server.post<{ Params: { id: string } }>('/api/task/revoke/:id', async (request) => {
    const { id } = request.params;
    const terminate = boolArgument(request, 'terminate');
    const signal = argument(request, 'signal') || 'SIGTERM';
    await control.revoke(id, { terminate, signal });
    return { message: `Revoked '${id}'` };
  });

  server.post<{ Params: { name: string } }>('/api/task/rate-limit/:name', async (request, reply) => {
    const { name } = request.params;
    const worker = requiredArgument(request, 'workername');
    const rateLimit = requiredArgument(request, 'ratelimit');
    if (!(await isTaskName(ctx, name))) throw new ApiError(404, `Unknown task '${name}'`);
    await requireWorker(worker);
    const replies = await ask('rate_limit', worker, { task_name: name, rate_limit: rateLimit });
    return answer(reply, replies, worker, null, 'Failed to set rate limit');
  });

  server.post<{ Params: { name: string } }>('/api/task/timeout/:name', async (request, reply) => {
    const { name } = request.params;
    const worker = requiredArgument(request, 'workername');
    const hard = numberArgument(request, 'hard', 'float') ?? null;
    const soft = numberArgument(request, 'soft', 'float') ?? null;
    if (!(await isTaskName(ctx, name))) throw new ApiError(404, `Unknown task '${name}'`);
    await requireWorker(worker);
    const replies = await ask('time_limit', worker, { task_name: name, hard, soft });
    return answer(reply, replies, worker, null, 'Failed to set timeouts');
  });
}
