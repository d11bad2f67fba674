/**
 * Lease locks in Redis, the one implementation behind beat's lock (through the Redis transport's
 * `leaseLock`, or beat's `RedisLeaseLock` for a URL) and the transport's `unacked_mutex`: taken with
 * `SET key token NX PX <lease>`, renewed and released only with the holder's token, both in Lua
 * (`lua/lease-acquire-1.lua`, `lua/lease-release-1.lua`), so a holder whose lease ran out cannot
 * extend or delete its successor's lock.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LeaseLock } from '@cq/kombu';
import { loadLuaScripts } from './lua.js';
import { LUA } from './lua.generated.js';

const scripts = loadLuaScripts(LUA, ['lease-acquire', 'lease-release']);

/**
 * Takes the lock `key` for `token` if it is free or expired, or renews it if `token` holds it, for
 * `leaseMs` ms (rounded up). Resolves true when `token` holds it afterwards.
 */
export async function acquireLease(client: Redis, key: string, token: string, leaseMs: number): Promise<boolean> {
  return Number(await scripts['lease-acquire'].run(client, [key], [token, Math.max(1, Math.ceil(leaseMs))])) === 1;
}

/** Deletes the lock `key` if `token` holds it. Resolves true when it was deleted. */
export async function releaseLease(client: Redis, key: string, token: string): Promise<boolean> {
  return Number(await scripts['lease-release'].run(client, [key], [token])) === 1;
}

/** What a {@link RedisLeaseLock} is built with, beyond its client and key. */
export interface RedisLeaseLockOptions {
  /** Names the holder. Default a random UUID. */
  token?: string;
  /** Turns a failure of `acquire` into the caller's error (`action` says what failed). Default: rethrown as is. */
  onError?: (err: unknown, action: string) => Error;
  /** Run by `close()`, e.g. to disconnect a client the caller opened for the lock. Default: nothing. */
  onClose?: () => Promise<void> | void;
}

/** A {@link LeaseLock} (@cq/kombu) under one Redis key. */
export class RedisLeaseLock implements LeaseLock {
  readonly token: string;
  private readonly client: () => Redis;

  /**
   * @param client the connection, or a function returning the current one (a transport's command
   *   connection); the lock never closes it unless `options.onClose` does.
   * @param key the lock key, as stored (prefix included).
   */
  constructor(client: Redis | (() => Redis), readonly key: string, private readonly options: RedisLeaseLockOptions = {}) {
    this.client = typeof client === 'function' ? client : () => client;
    this.token = options.token ?? randomUUID();
  }

  /** See {@link LeaseLock.acquire}; rejects with `options.onError`'s error when Redis fails. */
  async acquire(leaseMs: number): Promise<boolean> {
    try {
      return await acquireLease(this.client(), this.key, this.token, leaseMs);
    } catch (err) {
      throw this.options.onError ? this.options.onError(err, `taking the lease lock ${this.key}`) : err;
    }
  }

  /** Gives the lock up if held; a failure is ignored (the lease runs out by itself). */
  async release(): Promise<void> {
    try {
      await releaseLease(this.client(), this.key, this.token);
    } catch {
      // The lease runs out by itself.
    }
  }

  /** Runs `options.onClose`; the connection is otherwise left open. */
  async close(): Promise<void> {
    await this.options.onClose?.();
  }
}
