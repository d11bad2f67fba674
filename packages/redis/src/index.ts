/**
 * @cq/redis — the Redis foundation shared by @cq/transport-redis, @cq/backend-redis and @cq/beat:
 * one parser for Celery's and kombu's Redis URLs, one ioredis client factory, one Lua script loader
 * (`lua/<name>-<numKeys>.lua`, EVALSHA with a NOSCRIPT fallback), the Redis lease lock and the
 * enqueue-time deduplication records.
 */
export { parseRedisUrl, type RedisUrl, type ParseRedisUrlOptions } from './url.js';
export { SENTINEL_PORT, type RedisSentinel } from './sentinel.js';
export type { RedisCluster } from './cluster.js';
export type { RedisTls, RedisTlsSettings, CertReqs, TlsNaming } from './tls.js';
export { createRedisClient, connectRedisClient, redisClientOptions, redisFailure, type RedisClientOptions } from './client.js';
export { redisFatalError } from './failure.js';
export { LuaScript, loadLuaScripts, type LuaArg, type LuaSources } from './lua.js';
export { RedisLeaseLock, acquireLease, releaseLease, type RedisLeaseLockOptions } from './lease.js';
export { RedisDeduplicator, type RedisDeduplicatorOptions } from './deduplicator.js';
export { RedisConfigurationError, RedisScriptError } from './errors.js';
