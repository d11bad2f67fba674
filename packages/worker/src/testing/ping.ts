/**
 * The `celery.ping` task of Celery's `celery.contrib.testing.tasks`: no arguments, returns `'pong'`.
 * `startWorker` sends it once the worker consumes, to prove that a task goes from this app through
 * the broker to the worker and its result comes back.
 */
import type { Celery, Task } from '@cq/app';

/** The task's name, as Celery registers it. */
export const PING_TASK = 'celery.ping';

/**
 * Registers `celery.ping` in `app` unless a task of that name is there already, and returns the
 * registered task. `startWorker` calls it for the app it is given; a `prefork`/`threads` pool's
 * children load the app from its module, so for them call it in that module (`testApp` does).
 */
export function registerPing(app: Celery): Task<[], string> {
  const existing = app.tasks.get(PING_TASK);
  if (existing) return existing as Task<[], string>;
  return app.task(PING_TASK, (): string => 'pong', { params: [] });
}
