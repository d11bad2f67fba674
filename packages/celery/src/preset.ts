/**
 * The full stack as one plugin list, and the `Celery` of @cq/celery that is built with it. The
 * plugins are the ones each package exports: a user composing a smaller stack passes the same ones
 * from only the packages they installed.
 */
import { Celery as AppCelery, type AppOptions, type CelerySettings, type CeleryPlugin } from '@cq/app';
import { redisBackend } from '@cq/backend-redis';
import { rpcBackend } from '@cq/backend-rpc';
import { sqliteBackend } from '@cq/backend-sqlite';
import { canvas } from '@cq/canvas';
import { control } from '@cq/control';
import { events } from '@cq/events';
import { amqpTransport } from '@cq/transport-amqp';
import { redisTransport } from '@cq/transport-redis';
import { sqliteTransport } from '@cq/transport-sqlite';

/**
 * Every plugin bundled with @cq/celery, in install order: the SQLite, Redis and AMQP transports
 * (`sqlite`, `sqla+sqlite`, `redis`, `rediss`, `amqp`, `amqps`, `pyamqp`), the SQLite, Redis and rpc
 * result backends (`sqlite`, `db+sqlite`, `redis`, `rediss`, `rpc`), the canvas (`ctx.replace`,
 * `ctx.addToChord`), task-sent events and remote control (`AsyncResult.revoke()`). A new list on every call.
 */
export function fullStack(): CeleryPlugin[] {
  return [sqliteTransport(), redisTransport(), amqpTransport(), sqliteBackend(), redisBackend(), rpcBackend(), canvas(), events(), control()];
}

/**
 * The Celery app with the full stack ({@link fullStack}) installed, so any bundled broker or result
 * backend URL works and the embedded SQLite default needs nothing configured. `options.plugins`
 * REPLACES the preset (pass `[...fullStack(), myPlugin]` to extend it); `app.use()` adds to it.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * export const app = new Celery('proj');   // no broker configured: embedded SQLite under ./.cq/
 * ```
 */
export class Celery extends AppCelery {
  constructor(main = 'default', config: Partial<CelerySettings> = {}, options: AppOptions = {}) {
    super(main, config, { ...options, plugins: options.plugins ?? fullStack() });
  }
}
