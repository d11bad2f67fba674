/**
 * Beat lock in Redis: `SET key token NX PX lease` to take it, renewal and release only with the
 * holder's token, both in Lua (`lua/acquire-1.lua`, `lua/release-1.lua`). Chosen when the broker is
 * Redis, so every beat on that broker competes for the same key.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { BeatLockError } from '../errors.js';
import type { LeaseLock } from './lease-lock.js';

const script = (name: string) => readFileSync(new URL(`../../lua/${name}`, import.meta.url), 'utf8');
const ACQUIRE = script('acquire-1.lua');
const RELEASE = script('release-1.lua');

export class RedisLeaseLock implements LeaseLock {
  readonly token = randomUUID();
  private readonly client: Redis;

  /**
   * @param url `redis://` or `rediss://` URL (the broker's).
   * @param key the lock key (`beat_lock_key`).
   */
  constructor(url: string, readonly key: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    this.client.on('error', () => { /* reported by the failing command */ });
  }

  async acquire(leaseMs: number): Promise<boolean> {
    try {
      return (await this.client.eval(ACQUIRE, 1, this.key, this.token, String(Math.ceil(leaseMs)))) === 1;
    } catch (err) {
      throw new BeatLockError(`beat lock (redis ${this.key}): ${(err as Error).message}`, { cause: err });
    }
  }

  async release(): Promise<void> {
    try {
      await this.client.eval(RELEASE, 1, this.key, this.token);
    } catch {
      // The lease runs out by itself.
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
