/**
 * The transport's lease lock capability (beat's one-active-beat lock) on db 10: two connections to
 * one broker compete for one key, stored behind `global_keyprefix`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isLeaseLockProvider, TransportError, type LeaseLock, type Transport } from '@cq/kombu';
import { transport } from '../src/index.js';
import { connectionsClosedAfterEach, rawClient, uniq } from './helpers.js';

const redis = rawClient();
const connect = connectionsClosedAfterEach();
afterAll(() => redis.quit());

function lockOf(t: Transport, key: string): LeaseLock {
  if (!isLeaseLockProvider(t)) throw new Error('the redis transport should offer leaseLock');
  return t.leaseLock(key);
}

describe('leaseLock', () => {
  it('is offered; one holder at a time across connections; the key carries global_keyprefix', async () => {
    const prefix = `${uniq('cqt')}:`;
    const key = uniq('beat.lock');
    const a = lockOf((await connect({ global_keyprefix: prefix })).transport, key);
    const b = lockOf((await connect({ global_keyprefix: prefix })).transport, key);
    try {
      expect(await a.acquire(5_000)).toBe(true);
      expect(await redis.get(`${prefix}${key}`)).toBe(a.token);
      expect(await redis.pttl(`${prefix}${key}`)).toBeGreaterThan(4_000);
      expect(await b.acquire(5_000)).toBe(false);
      expect(await a.acquire(5_000)).toBe(true);
      await a.release();
      expect(await b.acquire(5_000)).toBe(true);
      expect(await a.acquire(5_000)).toBe(false);
      // Closing a lock leaves the transport's connection open.
      await a.close();
      expect(await b.acquire(5_000)).toBe(true);
    } finally {
      await redis.del(`${prefix}${key}`);
    }
  });

  it('takes the holder token it is given', async () => {
    const t = (await connect()).transport;
    if (!isLeaseLockProvider(t)) throw new Error('not a provider');
    const key = uniq('beat.lock');
    const lock = t.leaseLock(key, 'my-token');
    expect(lock.token).toBe('my-token');
    expect(await lock.acquire(1_000)).toBe(true);
    expect(await redis.get(key)).toBe('my-token');
    await lock.release();
    expect(await redis.exists(key)).toBe(0);
  });

  it('fails with a kombu error when the transport is not connected', async () => {
    const t = transport.create({ transport: 'redis', hostname: '127.0.0.1', port: 6379, userid: null, password: null, virtualHost: '10', query: {}, href: 'redis://127.0.0.1:6379/10' }, {});
    if (!isLeaseLockProvider(t)) throw new Error('not a provider');
    await expect(t.leaseLock('k').acquire(1_000)).rejects.toThrow(TransportError);
  });
});
