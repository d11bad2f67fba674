/**
 * The app plugin of @cq/transport-redis: registers the Redis transport for redis://, rediss://, redis+socket://, sentinel://, redis+cluster:// URLs
 * in the app's transport registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { redisTransport } from '@cq/transport-redis';
 * const app = new Celery('proj', { broker_url: '...' }, { plugins: [redisTransport()] });
 * ```
 */
import { transportPlugin, type TransportPlugin } from '@cq/kombu';
import { transport } from './transport.js';

/** The plugin to pass in the app's `plugins` so broker URLs of this transport's schemes resolve. */
export function redisTransport(): TransportPlugin {
  return transportPlugin('@cq/transport-redis', ['redis', 'rediss', 'redis+socket', 'sentinel', 'redis+cluster'], transport);
}
