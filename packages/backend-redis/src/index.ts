/**
 * @cq/backend-redis — Celery's Redis result backend for cq: `celery-task-meta-<id>` keys written
 * and read exactly as Python Celery does, results pushed to waiters over pub/sub.
 *
 * Pass `redisBackend()` in the app's plugins so its URLs resolve; the default export is the backend class.
 */
import { RedisBackend } from './redis-backend.js';

export default RedisBackend;
export {
  RedisBackend, MAX_VALUE_BYTES, DEFAULT_REDIS_URL, celeryKeyPrefix, type RedisBackendOptions, type RedisTransportOptions,
} from './redis-backend.js';
export { redisBackend } from './plugin.js';
