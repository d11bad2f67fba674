/**
 * @cq/transport-redis — a cq broker transport with exactly the keys and layout of kombu's Redis
 * transport, so Python Celery workers and cq workers share one Redis database. The registry loads it
 * for `redis://` and `rediss://` URLs.
 */
export { transport, RedisTransport, RedisChannel, redisServer, type RedisTransportOptions, type RedisServer } from './transport.js';
export { RedisExchangeStore } from './exchange-store.js';
export { KeyLayout, topicPattern, DEFAULT_SEP, DEFAULT_PRIORITY_STEPS, type KeyLayoutOptions } from './keys.js';
