/**
 * @cq/backend-redis — Celery's Redis result backend for cq: `celery-task-meta-<id>` keys written
 * and read exactly as Python Celery does, results pushed to waiters over pub/sub.
 *
 * Registry convention (see `@cq/backend` `createBackend`): the default export is the backend class,
 * whose static `fromUrl(url, options)` builds it from a `redis://` or `rediss://` URL.
 */
import { RedisBackend } from './redis-backend.js';

export default RedisBackend;
export {
  RedisBackend, MAX_VALUE_BYTES, celeryKeyPrefix, type RedisBackendOptions, type RedisTransportOptions,
} from './redis-backend.js';
export { redisOptionsFromUrl, DEFAULT_REDIS_URL } from './url.js';
