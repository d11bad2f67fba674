/**
 * The app plugin of @cq/backend-redis: registers RedisBackend for redis://, rediss://, redis+socket://, sentinel://, redis+cluster:// result backend URLs
 * in the app's backend registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { redisBackend } from '@cq/backend-redis';
 * const app = new Celery('proj', { result_backend: '...' }, { plugins: [redisBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { RedisBackend } from './redis-backend.js';

/** The plugin to pass in the app's `plugins` so `result_backend` URLs of these schemes resolve. */
export function redisBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-redis', ['redis', 'rediss', 'redis+socket', 'sentinel', 'redis+cluster'], RedisBackend);
}
