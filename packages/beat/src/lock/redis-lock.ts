/**
 * Beat lock in the Redis a URL names, for a beat whose broker is elsewhere (beat's default asks the
 * broker instead: see `broker-lock.ts`). The lock itself is @cq/redis's: `SET key token NX PX lease`,
 * renewal and release only with the holder's token, in Lua.
 */
import { createRedisClient, parseRedisUrl, RedisLeaseLock as SharedRedisLeaseLock } from '@cq/redis';
import { BeatLockError } from '../errors.js';

export class RedisLeaseLock extends SharedRedisLeaseLock {
  /**
   * @param url a Redis URL (`redis://`, `rediss://`, `redis+socket://`; see @cq/redis); the lock
   *   opens its own connection and closes it in `close()`.
   * @param key the lock key (`beat_lock_key`).
   * @throws RedisConfigurationError (a kombu ConfigurationError) for a bad URL. `acquire` rejects
   *   with BeatLockError when Redis fails.
   */
  constructor(url: string, key: string) {
    const client = createRedisClient(parseRedisUrl(url), { connectionName: 'cq-beat-lock', redis: { maxRetriesPerRequest: 1 } });
    super(client, key, {
      onError: (err, action) => new BeatLockError(`beat lock (redis, ${action}): ${(err as Error).message}`, { cause: err }),
      onClose: () => client.disconnect(),
    });
  }
}
