/**
 * Celery's task-meta write (`BaseKeyValueStoreBackend._store_result` + `RedisBackend.set`) as one
 * atomic step, `lua/store-1.lua`: skip when the stored meta is SUCCESS, else write with the expiry
 * and PUBLISH. Celery does GET, then MULTI/EXEC: two round trips with a window between them.
 */
import type { Redis } from 'ioredis';
import { loadLuaScripts, type LuaArg } from '@cq/redis';
import { LUA } from './lua.generated.js';

const scripts = loadLuaScripts(LUA, ['store', 'store-many']);

/** Result serializers whose metas the script can read. */
export const SCRIPTABLE_SERIALIZERS: ReadonlySet<string> = new Set(['json', 'msgpack']);

/**
 * Runs the script (@cq/redis: EVALSHA, loading it on NOSCRIPT); resolves true when written.
 * @param ttlSeconds seconds, fractional allowed (written as ms, rounded up); null = no expiry.
 */
export function storeUnlessSucceeded(client: Redis, key: string, value: Buffer | string, ttlSeconds: number | null, serializer: string): Promise<boolean> {
  const args = [value, ttlSeconds === null ? '' : String(Math.ceil(ttlSeconds * 1000)), serializer];
  return scripts.store.run(client, [key], args).then(written);
}

const written = (reply: unknown): boolean => Number(reply) === 1;

/** Most metas in one batch, and most bytes of metas (a batch that reaches either is sent at once). */
export const STORE_BATCH_MAX = 256;
export const STORE_BATCH_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The task-meta writes of one event-loop turn, stored together by `lua/store-many-0.lua` (each as
 * `store-1.lua` does it): a worker finishing a hundred tasks in one turn makes one script call and one
 * round trip, not a hundred. A batch goes out on `process.nextTick` after its first write (so after
 * the turn's promise callbacks), or as soon as it holds {@link STORE_BATCH_MAX} metas or
 * {@link STORE_BATCH_MAX_BYTES}. Its keys are ARGV, not KEYS: for a single Redis server, not a Cluster.
 * A failed call fails every write of the batch, with `onError`'s mapping of the driver's error.
 */
export class StoreBatch {
  /** `serializer`, then key, meta, ttl per write. */
  private args: LuaArg[] = [];
  private count = 0;
  private bytes = 0;
  private replies: Promise<unknown[]> | null = null;
  private settle: { resolve: (replies: unknown[]) => void; reject: (err: unknown) => void } | null = null;

  constructor(private readonly client: Redis, private readonly serializer: string, private readonly onError: (err: unknown) => unknown) {}

  /**
   * Queues a write of `value` (the encoded meta) under `key`, with `ttlArg` (ms as a string, '' for
   * none); resolves true when written, false when the key holds a SUCCESS already.
   */
  add(key: string, value: string | Buffer, ttlArg: string): Promise<boolean> {
    if (!this.replies) {
      this.replies = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
      this.args = [this.serializer];
      process.nextTick(() => this.flush());
    }
    const index = this.count++;
    this.args.push(key, value, ttlArg);
    this.bytes += value.length;
    const stored = this.replies.then((replies) => Number(replies[index]) === 1);
    if (this.count >= STORE_BATCH_MAX || this.bytes >= STORE_BATCH_MAX_BYTES) this.flush();
    return stored;
  }

  /** Sends the batch being filled, if any. */
  flush(): void {
    const settle = this.settle;
    if (!settle) return;
    const args = this.args;
    this.replies = null;
    this.settle = null;
    this.args = [];
    this.count = 0;
    this.bytes = 0;
    scripts['store-many'].run(this.client, [], args).then(
      (replies) => settle.resolve(replies as unknown[]),
      (err: unknown) => settle.reject(this.onError(err)),
    );
  }
}
