/**
 * @cq/transport-redis — a cq broker transport with exactly the keys and layout of kombu's Redis
 * transport, so Python Celery workers and cq workers share one Redis database. Pass `redisTransport()` in the app's plugins
 * for `redis://` and `rediss://` URLs.
 */
export { transport, RedisTransport, RedisChannel, type RedisTransportOptions } from './transport.js';
export { RedisExchangeStore } from './exchange-store.js';
export { KeyLayout, topicPattern, DEFAULT_SEP, DEFAULT_PRIORITY_STEPS, type KeyLayoutOptions } from './keys.js';
export { redisTransport } from './plugin.js';
