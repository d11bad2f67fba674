/** The beat lock on real stores: SQLite files shared by two connections, and Redis DB 0. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisLeaseLock, SqliteLeaseLock, SqliteScheduleStore, type LeaseLock } from '../src/index.js';

const REDIS_URL = 'redis://127.0.0.1:6379/0';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeLock(name: string, pair: () => { a: LeaseLock; b: LeaseLock; cleanup: () => Promise<void> }) {
  describe(`${name} lease lock`, () => {
    it('only one holder at a time; the holder renews; release hands over at once', async () => {
      const { a, b, cleanup } = pair();
      try {
        expect(await a.acquire(5_000)).toBe(true);
        expect(await b.acquire(5_000)).toBe(false);
        expect(await a.acquire(5_000)).toBe(true); // renewal
        expect(await b.acquire(5_000)).toBe(false);
        await a.release();
        expect(await b.acquire(5_000)).toBe(true);
        expect(await a.acquire(5_000)).toBe(false);
      } finally {
        await cleanup();
      }
    });

    it('a lease that is not renewed runs out and another holder takes over', async () => {
      const { a, b, cleanup } = pair();
      try {
        expect(await a.acquire(300)).toBe(true);
        expect(await b.acquire(300)).toBe(false);
        await sleep(600);
        expect(await b.acquire(5_000)).toBe(true);
        expect(await a.acquire(5_000)).toBe(false); // the old holder learns it lost the lock
      } finally {
        await cleanup();
      }
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeLock('SQLite', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-beat-lock-'));
  dirs.push(dir);
  const s1 = new SqliteScheduleStore(path.join(dir, 'beat.db'));
  const s2 = new SqliteScheduleStore(path.join(dir, 'beat.db'));
  return {
    a: new SqliteLeaseLock(s1.db), b: new SqliteLeaseLock(s2.db),
    cleanup: async () => { s1.close(); s2.close(); },
  };
});

describeLock('Redis', () => {
  const key = `cqt.beat.lock.${randomUUID()}`;
  const a = new RedisLeaseLock(REDIS_URL, key);
  const b = new RedisLeaseLock(REDIS_URL, key);
  return {
    a, b,
    cleanup: async () => {
      const r = new Redis(REDIS_URL);
      await r.del(key);
      r.disconnect();
      await a.close();
      await b.close();
    },
  };
});
