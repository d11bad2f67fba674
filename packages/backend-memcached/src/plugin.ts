/**
 * The app plugin of @cq/backend-memcached: registers MemcachedBackend for the `cache+memcached://`,
 * `cache+memcache://` and `cache+pylibmc://` result backend URLs, and for the bare alias `cache`
 * (servers from the `cache_backend` setting; `cache_backend = 'memory://'` gives @cq/backend's
 * in-process MemoryBackend, as Celery's `cache+memory://`).
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { memcachedBackend } from '@cq/backend-memcached';
 * const app = new Celery('proj', { result_backend: 'cache+memcached://127.0.0.1:11211/' }, { plugins: [memcachedBackend()] });
 * ```
 */
import { MemoryBackend, backendPlugin, type Backend, type BackendOptions, type BackendPlugin } from '@cq/backend';
import { MemcachedBackend } from './memcached-backend.js';
import { MEMCACHED_SCHEMES, cacheUrl, isMemoryCache } from './url.js';

/** The plugin to pass in the app's `plugins` so memcached result backend URLs resolve. */
export function memcachedBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-memcached', MEMCACHED_SCHEMES, {
    fromUrl(url: string, options: BackendOptions = {}): Backend {
      const target = cacheUrl(url, options.settings?.['cache_backend']);
      return isMemoryCache(target) ? MemoryBackend.fromUrl(`cache+${target}`, options) : MemcachedBackend.fromUrl(url, options);
    },
  });
}
