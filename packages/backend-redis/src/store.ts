/**
 * Celery's task-meta write (`BaseKeyValueStoreBackend._store_result` + `RedisBackend.set`) as one
 * atomic step, `lua/store-1.lua`: skip when the stored meta is SUCCESS, else write with the expiry
 * and PUBLISH. Celery does GET, then MULTI/EXEC: two round trips with a window between them.
 */
import type { Redis } from 'ioredis';
import { loadLuaScripts } from '@cq/redis';
import { LUA } from './lua.generated.js';

const scripts = loadLuaScripts(LUA, ['store']);

/** Result serializers whose metas the script can read. */
export const SCRIPTABLE_SERIALIZERS: ReadonlySet<string> = new Set(['json', 'msgpack']);

/**
 * Runs the script (@cq/redis: EVALSHA, loading it on NOSCRIPT); resolves true when written.
 * @param ttlSeconds seconds, fractional allowed (written as ms, rounded up); null = no expiry.
 */
export async function storeUnlessSucceeded(client: Redis, key: string, value: Buffer, ttlSeconds: number | null, serializer: string): Promise<boolean> {
  const args = [value, ttlSeconds === null ? '' : String(Math.ceil(ttlSeconds * 1000)), serializer];
  return Number(await scripts.store.run(client, [key], args)) === 1;
}
