/**
 * The worker side of `cq worker --autoreload`: a worker process started by the {@link Autoreloader}
 * (`supervisor.ts`) talks to it over the IPC channel.
 *
 * - Once started, it says which pool it runs and whether that pool can restart its children
 *   (`prefork`, `threads`: the `canRestart` capability).
 * - On `pool_restart` it restarts the pool (Celery's `pool_restart`): new children load the changed
 *   code, running tasks finish in the old ones; it answers `restarted`, or `restart-failed` with the
 *   reason when the new children could not load the app (the old ones serve on).
 * - An `async`/`solo` worker is restarted by the supervisor with SIGTERM (a warm shutdown) instead.
 * - When the supervisor goes away (killed), the channel closes and the worker shuts down warm.
 */
import { canRestart, type Worker } from '@cq/celery';

/** Set by the supervisor in the environment of the worker processes it starts. */
export const SUPERVISED_ENV = 'CQ_AUTORELOAD_SUPERVISED';

/** Worker → supervisor. */
export type ToSupervisor =
  | { cq: 'autoreload'; event: 'ready'; pool: string; restartable: boolean }
  | { cq: 'autoreload'; event: 'restarted' }
  | { cq: 'autoreload'; event: 'restart-failed'; message: string };

/** Supervisor → worker: restart the pool's children, for a change in `files`. */
export interface ToWorker {
  cq: 'autoreload';
  event: 'pool_restart';
  files: string[];
}

/**
 * True in a worker process started by `cq worker --autoreload` (the variable is then removed, so
 * processes this one starts do not inherit it).
 */
export function takeSupervised(): boolean {
  const supervised = process.env[SUPERVISED_ENV] === '1' && typeof process.send === 'function';
  delete process.env[SUPERVISED_ENV];
  return supervised;
}

const isToWorker = (message: unknown): message is ToWorker =>
  typeof message === 'object' && message !== null && (message as ToWorker).cq === 'autoreload' && (message as ToWorker).event === 'pool_restart';

/**
 * Reports the started worker to the supervisor and serves its requests.
 * @param warmShutdown what the first SIGTERM does (the command's signal handler), run when the
 *   supervisor is gone.
 */
export function serveSupervisor(worker: Worker, warmShutdown: () => void): void {
  const send = (message: ToSupervisor): void => {
    if (process.connected) process.send!(message);
  };
  const pool = worker.pool;
  send({ cq: 'autoreload', event: 'ready', pool: pool.name, restartable: canRestart(pool) });
  process.on('message', (message: unknown) => {
    if (!isToWorker(message) || !canRestart(pool)) return;
    pool.restart().then(
      () => send({ cq: 'autoreload', event: 'restarted' }),
      (error: unknown) => send({ cq: 'autoreload', event: 'restart-failed', message: (error as Error).message }),
    );
  });
  process.on('disconnect', () => {
    if (worker.shutdownMode === null) warmShutdown();
  });
}
