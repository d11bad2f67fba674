/**
 * Plugins: how a stack is put together on an app (the composition root). Nothing in cq changes
 * behaviour by being imported; a transport, a result backend, the canvas or task events reach an app
 * only through the plugins it was given:
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { redisTransport } from '@cq/transport-redis';
 * import { redisBackend } from '@cq/backend-redis';
 * import { canvas } from '@cq/canvas';
 *
 * const app = new Celery('proj', { broker_url: 'redis://', result_backend: 'redis://' }, {
 *   plugins: [redisTransport(), redisBackend(), canvas()],
 * });
 * ```
 *
 * `@cq/celery` builds its `Celery` with the full preset (SQLite, Redis and AMQP transports; SQLite,
 * Redis and rpc backends; canvas; events). Two apps in one process with different plugins do not
 * affect each other: every extension point a plugin fills is a field of the app.
 */
import type { Celery } from './app.js';
import type { TaskClass } from './task.js';

/**
 * A plugin: something that installs itself into one app. Transport and backend plugins
 * (`redisTransport()`, `redisBackend()`) are typed against the narrower hosts of @cq/kombu and
 * @cq/backend and fit here as they are.
 */
export interface CeleryPlugin {
  /** A unique name, usually the package's (`@cq/canvas`); an app installs a name once. */
  readonly name: string;
  /** Installs into `app`: registers drivers, sets the app's hooks. Called once per app, in order. */
  install(app: Celery): void;
}

/** Options of the app itself (the third argument of `new Celery`). */
export interface AppOptions {
  /** Plugins installed in order by the constructor; more can be added with `app.use()`. Default none. */
  plugins?: readonly CeleryPlugin[];
  /**
   * The class `app.task()` instantiates for tasks registered without `base` (Celery's `task_cls`
   * argument): a subclass of `Task` whose handlers apply to every task of the app. Default `Task`.
   */
  taskCls?: TaskClass;
}
