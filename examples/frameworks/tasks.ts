/**
 * The cq app and task that the four web-framework examples share (`express/`, `fastify/`, `nestjs/`,
 * `nextjs/`): a web server enqueues `frameworks.add` from an HTTP request and answers with the task's
 * state or result, and a worker runs it:
 *
 *     cq worker -A examples/frameworks/tasks.ts -P async
 *
 * Only the app of `@cq/app` with the Redis transport and result backend, as a web server needs to send
 * tasks and read results, not to run them. Settings come from the environment:
 * - `REDIS_URL` (default `redis://localhost:6379/0`): broker and result backend;
 * - `FRAMEWORKS_QUEUE` (default `frameworks`): the queue the tasks go to and the worker consumes.
 */
import { Celery, TimeoutError, type AsyncResult } from '@cq/app';
import { redisBackend } from '@cq/backend-redis';
import { redisTransport } from '@cq/transport-redis';

const redisUrl = process.env.REDIS_URL ?? 'redis://localhost:6379/0';

export const app = new Celery('frameworks', {
  broker_url: redisUrl,
  result_backend: redisUrl,
  task_default_queue: process.env.FRAMEWORKS_QUEUE ?? 'frameworks',
  result_expires: 3600,
}, { plugins: [redisTransport(), redisBackend()] });

/** `x + y`. */
export const add = app.task('frameworks.add', (x: number, y: number) => x + y);

/**
 * What the examples answer about a task: its id and Celery state (`PENDING` also for an unknown id,
 * as in Celery), with `result` once it succeeded or `error` (`"Name: message"`) once it failed.
 */
export interface TaskStatus {
  id: string;
  state: string;
  result?: unknown;
  error?: string;
}

/** Reads a task's {@link TaskStatus} from the result backend (one or two reads, no waiting). */
export async function taskStatus(result: AsyncResult): Promise<TaskStatus> {
  const state = await result.state();
  if (state === 'SUCCESS') return { id: result.id, state, result: await result.result() };
  if (state === 'FAILURE') return { id: result.id, state, error: String(await result.result()) };
  return { id: result.id, state };
}

/**
 * Waits up to `timeout` seconds (default 10) for the task to be ready, then reads its
 * {@link TaskStatus}; a task still running by then is answered as it stands (e.g. `PENDING`).
 */
export async function waitForStatus(result: AsyncResult, timeout = 10): Promise<TaskStatus> {
  try {
    await result.get({ timeout, propagate: false, interval: 0.05 });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
  }
  return taskStatus(result);
}

/** `[x, y]` from a request body `{ "x": 2, "y": 3 }`, or null when either is not a finite number. */
export function operands(body: unknown): [number, number] | null {
  const { x, y } = (body ?? {}) as { x?: unknown; y?: unknown };
  return Number.isFinite(x) && Number.isFinite(y) ? [x as number, y as number] : null;
}
