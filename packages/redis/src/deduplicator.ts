/**
 * Enqueue-time deduplication records in Redis (@cq/kombu `Deduplicator`), the one implementation
 * behind the Redis transport's and the Redis result backend's `deduplicator()`. A record is a hash
 * `<prefix>_cq.dedup.<key>` with fields `task` and `stamp`, expiring by Redis's own clock (PEXPIRE).
 * Claiming and releasing are each one Lua script (`lua/dedup-claim-1.lua`, `lua/dedup-release-1.lua`),
 * so any number of clients racing for one key agree on a single holder. One key per script: works on
 * Redis Cluster as it is.
 */
import type { Redis } from 'ioredis';
import { DEDUPLICATION_KEY_PREFIX, type DeduplicationRecord, type Deduplicator, type ReleaseOutcome } from '@cq/kombu';
import { loadLuaScripts } from './lua.js';
import { LUA } from './lua.generated.js';

const scripts = loadLuaScripts(LUA, ['dedup-claim', 'dedup-release']);
const RELEASE: Record<number, ReleaseOutcome> = { 0: 'absent', 1: 'released', 2: 'superseded' };

/** What a {@link RedisDeduplicator} is built with, beyond its client. */
export interface RedisDeduplicatorOptions {
  /** Prepended to `_cq.dedup.<key>` (a transport's `global_keyprefix`, a backend's key prefix). Default `''`. */
  prefix?: string;
  /** Turns a Redis failure into the caller's error (`action` says what failed). Default: rethrown as is. */
  onError?: (err: unknown, action: string) => Error;
}

/** A {@link Deduplicator} (@cq/kombu) in one Redis database. */
export class RedisDeduplicator implements Deduplicator {
  private readonly client: () => Redis;
  private readonly prefix: string;

  /**
   * @param client the connection, or a function returning the current one (a transport's command
   *   connection); never closed here.
   */
  constructor(client: Redis | (() => Redis), private readonly options: RedisDeduplicatorOptions = {}) {
    this.client = typeof client === 'function' ? client : () => client;
    this.prefix = `${options.prefix ?? ''}${DEDUPLICATION_KEY_PREFIX}`;
  }

  /** The Redis key of deduplication key `key`. */
  redisKey(key: string): string {
    return this.prefix + key;
  }

  /** See {@link Deduplicator.claim}; `ttlMs` is rounded up to whole ms, at least 1. */
  async claim(key: string, record: DeduplicationRecord, ttlMs: number, supersede: boolean): Promise<DeduplicationRecord | null> {
    const reply = await this.guard(`claiming deduplication key ${key}`, () => scripts['dedup-claim'].run(
      this.client(), [this.redisKey(key)], [record.taskId, record.stamp, Math.max(1, Math.ceil(ttlMs)), supersede ? '1' : '0'],
    )) as string[];
    return reply.length === 0 ? null : { taskId: reply[0]!, stamp: reply[1] ?? '' };
  }

  /** See {@link Deduplicator.release}. */
  async release(key: string, taskId: string, stamp?: string): Promise<ReleaseOutcome> {
    const reply = await this.guard(`releasing deduplication key ${key}`, () => scripts['dedup-release'].run(
      this.client(), [this.redisKey(key)], [taskId, stamp ?? ''],
    ));
    return RELEASE[Number(reply)] ?? 'absent';
  }

  /** See {@link Deduplicator.get}. */
  async get(key: string): Promise<DeduplicationRecord | null> {
    const [taskId, stamp] = await this.guard(`reading deduplication key ${key}`, () => this.client().hmget(this.redisKey(key), 'task', 'stamp'));
    return taskId ? { taskId, stamp: stamp ?? '' } : null;
  }

  /** See {@link Deduplicator.remove}. */
  async remove(key: string): Promise<boolean> {
    return (await this.guard(`removing deduplication key ${key}`, () => this.client().del(this.redisKey(key)))) > 0;
  }

  private async guard<T>(action: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.options.onError ? this.options.onError(err, action) : err;
    }
  }
}
