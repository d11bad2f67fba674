/**
 * Cleanup for broker tests that share a Redis database with others: deletes the keys whose name
 * `mine` accepts and removes the members `mine` accepts from kombu's `_kombu.binding.*` sets (queue
 * bindings of pidbox nodes and reply queues, event queues), leaving every other key alone.
 */
import { Redis } from 'ioredis';

/** Deletes this run's keys and binding members in the Redis database of `url`. Never leaves the client open. */
export async function removeRedisRun(url: string, mine: (name: string) => boolean): Promise<void> {
  const redis = new Redis(url);
  try {
    for (const key of await redis.keys('*')) {
      if (mine(key)) await redis.del(key);
      else if (key.startsWith('_kombu.binding.')) {
        const members = (await redis.smembers(key)).filter(mine);
        if (members.length > 0) await redis.srem(key, ...members);
      }
    }
  } finally {
    redis.disconnect();
  }
}
