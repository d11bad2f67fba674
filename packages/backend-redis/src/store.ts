/**
 * store-1: Celery's task-meta write (`BaseKeyValueStoreBackend._store_result` + `RedisBackend.set`)
 * as one atomic step: skip when the stored meta is SUCCESS, else write with the expiry and PUBLISH.
 * KEYS[1] `celery-task-meta-<id>`.
 * ARGV[1] encoded meta; ARGV[2] time to live in ms, '' = none; ARGV[3] 'json' | 'msgpack' (how to
 * read the stored meta's `status`; a value that does not decode is overwritten).
 * Reply: 1 written and published, 0 skipped (SUCCESS already stored).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const LUA = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, meta
  if ARGV[3] == 'msgpack' then ok, meta = pcall(cmsgpack.unpack, current) else ok, meta = pcall(cjson.decode, current) end
  if ok and type(meta) == 'table' and meta.status == 'SUCCESS' then return 0 end
end
if ARGV[2] == '' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('PSETEX', KEYS[1], ARGV[2], ARGV[1]) end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
`;
const SHA = createHash('sha1').update(LUA).digest('hex');

/** Result serializers whose metas the script can read. */
export const SCRIPTABLE_SERIALIZERS: ReadonlySet<string> = new Set(['json', 'msgpack']);

/**
 * Runs the script (EVALSHA, loading it with EVAL on NOSCRIPT); resolves true when written.
 * @param ttlSeconds seconds, fractional allowed (written as ms, rounded up); null = no expiry.
 */
export async function storeUnlessSucceeded(client: Redis, key: string, value: Buffer, ttlSeconds: number | null, serializer: string): Promise<boolean> {
  const args = [value, ttlSeconds === null ? '' : String(Math.ceil(ttlSeconds * 1000)), serializer];
  let reply: unknown;
  try {
    reply = await client.evalsha(SHA, 1, key, ...args);
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
    reply = await client.eval(LUA, 1, key, ...args);
  }
  return Number(reply) === 1;
}
