/**
 * @cq/backend-memcached — Celery's cache result backend on memcached for cq (`cache+memcached://`):
 * the keys, values and item flags Python Celery's pylibmc client writes, so both read each other's
 * results. Pass `memcachedBackend()` in the app's plugins; the default export is the backend class.
 */
import { MemcachedBackend } from './memcached-backend.js';

export default MemcachedBackend;
export { MemcachedBackend, DEFAULT_MEMCACHED_URL, type MemcachedBackendOptions } from './memcached-backend.js';
export { memcachedBackend } from './plugin.js';
export { MEMCACHED_SCHEMES, parseMemcachedServers, cacheUrl, type MemcachedServer } from './url.js';
export { memcachedExptime, serverIndex, MAX_RELATIVE_EXPTIME, type CacheBackendOptions } from './client.js';
export { PYLIBMC_FLAGS } from './pylibmc.js';
export { MemcachedUrlError, MemcachedOptionsError, MemcachedValueError } from './errors.js';
