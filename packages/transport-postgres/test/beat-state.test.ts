/**
 * What the PostgreSQL transport offers beat: lease locks (one row per key, taken and renewed by one
 * atomic upsert judged by the server's clock) and the schedule state store, on both table layouts,
 * reached through @cq/kombu's capability guards as beat reaches them.
 */
import { describe, expect, it } from 'vitest';
import { isLeaseLockProvider, isScheduleStoreProvider, type Connection } from '@cq/kombu';
import { connection, sqlClient, testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_beat_state');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([['postgresql', 'cq'], ['sqla+postgresql', 'kombu']] as const)('beat state on %s://', (scheme, prefix) => {
  const url = `${scheme}://${db}`;
  async function withConnections<T>(n: number, run: (conns: Connection[]) => Promise<T>): Promise<T> {
    const conns = await Promise.all(Array.from({ length: n }, () => connection(url).connect()));
    try {
      return await run(conns);
    } finally {
      for (const c of conns) await c.close();
    }
  }

  it('lease lock: one holder at a time, renewal, release hands over, an unrenewed lease runs out', async () => {
    await withConnections(2, async ([c1, c2]) => {
      const [t1, t2] = [c1!.transport, c2!.transport];
      if (!isLeaseLockProvider(t1) || !isLeaseLockProvider(t2)) throw new Error('the postgres transport offers no lease lock');
      const key = `beat.${prefix}.lock`;
      const a = t1.leaseLock(key, 'holder-a');
      const b = t2.leaseLock(key);
      expect(await a.acquire(5_000)).toBe(true);
      expect(await b.acquire(5_000)).toBe(false);
      expect(await a.acquire(5_000)).toBe(true); // renewal
      const sql = await sqlClient(url);
      try {
        const { rows } = await sql.query(`SELECT owner, expires_at > now() + interval '4 seconds' AS renewed FROM ${prefix}_lease_lock WHERE name = $1`, [key]);
        expect(rows).toEqual([{ owner: 'holder-a', renewed: true }]);
      } finally {
        await sql.end();
      }
      await a.release();
      expect(await b.acquire(300)).toBe(true);
      expect(await a.acquire(5_000)).toBe(false);
      await sleep(600);
      expect(await a.acquire(5_000)).toBe(true); // b's lease ran out
      expect(await b.acquire(5_000)).toBe(false); // and b learns it lost the lock
      await a.release();
    });
  });

  it('lease lock: of many holders racing for a free lock, exactly one wins', async () => {
    await withConnections(3, async (conns) => {
      const key = `beat.${prefix}.race`;
      const locks = conns.flatMap((c) => {
        const t = c.transport;
        if (!isLeaseLockProvider(t)) throw new Error('the postgres transport offers no lease lock');
        return Array.from({ length: 8 }, () => t.leaseLock(key));
      });
      const won = await Promise.all(locks.map((l) => l.acquire(5_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
      await locks[won.indexOf(true)]!.release();
    });
  });

  it('schedule store: entries and meta per scope survive a new connection; remove and clear', async () => {
    const lastRunAt = new Date('2024-05-01T10:20:30.456Z');
    await withConnections(1, async ([c]) => {
      const t = c!.transport;
      if (!isScheduleStoreProvider(t)) throw new Error('the postgres transport offers no schedule store');
      const store = t.scheduleStore('app-a');
      const other = t.scheduleStore('app-b');
      await store.save('tick', { lastRunAt, totalRunCount: 3 });
      await store.save('gone', { lastRunAt, totalRunCount: 1 });
      await store.save('tick', { lastRunAt, totalRunCount: 4 });
      await store.setMeta('tz', 'Europe/Paris');
      await other.save('tick', { lastRunAt: new Date(0), totalRunCount: 9 });
      await store.remove('gone');
    });
    await withConnections(1, async ([c]) => {
      const t = c!.transport;
      if (!isScheduleStoreProvider(t)) throw new Error('the postgres transport offers no schedule store');
      const store = t.scheduleStore('app-a');
      expect(await store.load()).toEqual(new Map([['tick', { lastRunAt, totalRunCount: 4 }]]));
      expect(await store.getMeta('tz')).toBe('Europe/Paris');
      expect(await store.getMeta('missing')).toBeNull();
      await store.clear();
      expect((await store.load()).size).toBe(0);
      expect((await t.scheduleStore('app-b').load()).get('tick')?.totalRunCount).toBe(9);
    });
  });
});
