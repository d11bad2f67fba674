/**
 * `describeDeduplicator(name, open)`: the conformance suite of a {@link Deduplicator} (enqueue-time
 * deduplication records; see `transport/deduplication.ts`). `open` returns a deduplicator on a new
 * connection to the store under test, and how to close that connection; the suite opens several to
 * check that claims made through different connections agree. Keys are random per test and removed
 * after it.
 *
 * ```ts
 * describeDeduplicator('redis transport', async () => {
 *   const conn = await new Connection(url, { transport }).connect();
 *   return { deduplicator: (conn.transport as RedisTransport).deduplicator(), close: () => conn.close() };
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeduplicationRecord, Deduplicator } from '../transport/deduplication.js';

/** A deduplicator on a connection of its own. */
export interface DeduplicatorFixture {
  deduplicator: Deduplicator;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const record = (taskId: string = randomUUID()): DeduplicationRecord => ({ taskId, stamp: randomUUID() });

export function describeDeduplicator(name: string, open: () => Promise<DeduplicatorFixture>): void {
  const fixtures: DeduplicatorFixture[] = [];
  const keys = new Set<string>();
  const connect = async (): Promise<Deduplicator> => {
    const fixture = await open();
    fixtures.push(fixture);
    return fixture.deduplicator;
  };
  const key = (what: string): string => {
    const k = `cqt.dedup.${what}.${randomUUID().slice(0, 8)}`;
    keys.add(k);
    return k;
  };

  describe(`deduplicator conformance: ${name}`, () => {
    afterEach(async () => {
      const d = fixtures[0]?.deduplicator;
      for (const k of keys) await d?.remove(k).catch(() => false);
      keys.clear();
      for (const f of fixtures.splice(0)) await f.close();
    });

    it('claims a free key once; the holder comes back to every later claim until it is released', async () => {
      const d = await connect();
      const k = key('claim');
      const first = record();
      expect(await d.claim(k, first, 60_000, false)).toBeNull();
      expect(await d.claim(k, record(), 60_000, false)).toEqual(first);
      expect(await d.get(k)).toEqual(first);
      expect(await d.release(k, 'another-task')).toBe('absent');
      expect(await d.release(k, first.taskId, 'another-stamp')).toBe('superseded');
      expect(await d.get(k)).toEqual(first);
      expect(await d.release(k, first.taskId, first.stamp)).toBe('released');
      expect(await d.get(k)).toBeNull();
      expect(await d.release(k, first.taskId)).toBe('absent');
      const second = record();
      expect(await d.claim(k, second, 60_000, false)).toBeNull();
      expect(await d.release(k, second.taskId)).toBe('released');
    });

    it('supersede moves the stamp and keeps the task id; the old stamp can no longer release', async () => {
      const d = await connect();
      const k = key('supersede');
      const first = record();
      expect(await d.claim(k, first, 60_000, true)).toBeNull();
      const later = record();
      expect(await d.claim(k, later, 60_000, true)).toEqual({ taskId: first.taskId, stamp: later.stamp });
      expect(await d.release(k, first.taskId, first.stamp)).toBe('superseded');
      expect(await d.release(k, first.taskId, later.stamp)).toBe('released');
    });

    it('expires a record after its ttl; a superseding claim resets the ttl, a plain one does not', async () => {
      const d = await connect();
      const plain = key('ttl');
      // Times leave ≥ 450 ms for the steps that must come before an expiry (a loaded machine's delays
      // only push the "expired" checks further past theirs).
      expect(await d.claim(plain, record(), 900, false)).toBeNull();
      await sleep(450);
      expect(await d.claim(plain, record(), 900, false)).not.toBeNull(); // does not extend
      await sleep(750);
      expect(await d.get(plain)).toBeNull();
      const next = record();
      expect(await d.claim(plain, next, 60_000, false)).toBeNull();
      expect((await d.get(plain))?.taskId).toBe(next.taskId);

      const sliding = key('sliding');
      const held = record();
      expect(await d.claim(sliding, held, 1200, true)).toBeNull();
      await sleep(700);
      await d.claim(sliding, record(), 1200, true);
      await sleep(700);
      expect((await d.get(sliding))?.taskId).toBe(held.taskId); // 1,400 ms after the first claim
      await sleep(900);
      expect(await d.get(sliding)).toBeNull();
    });

    it('remove deletes whatever holds the key', async () => {
      const d = await connect();
      const k = key('remove');
      expect(await d.remove(k)).toBe(false);
      await d.claim(k, record(), 60_000, false);
      expect(await d.remove(k)).toBe(true);
      expect(await d.get(k)).toBeNull();
      expect(await d.claim(k, record(), 60_000, false)).toBeNull();
    });

    it('keeps keys apart, whatever characters they hold', async () => {
      const d = await connect();
      const a = key('chars ü\u001f:"\'%_*');
      const b = key('chars ü\u001f:"\'%_?');
      const ra = record();
      const rb = record();
      expect(await d.claim(a, ra, 60_000, false)).toBeNull();
      expect(await d.claim(b, rb, 60_000, false)).toBeNull();
      expect(await d.get(a)).toEqual(ra);
      expect(await d.get(b)).toEqual(rb);
    });

    it('lets exactly one of 1,000 concurrent claims through three connections win', async () => {
      const ds = [await connect(), await connect(), await connect()];
      const k = key('race');
      const claims = Array.from({ length: 1000 }, (_, i) => {
        const mine = record(`task-${i}`);
        return ds[i % ds.length]!.claim(k, mine, 60_000, false).then((held) => ({ mine, held }));
      });
      const outcomes = await Promise.all(claims);
      const winners = outcomes.filter((o) => o.held === null);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.mine;
      for (const o of outcomes) if (o.held) expect(o.held).toEqual(winner);
      expect(await ds[1]!.get(k)).toEqual(winner);
    });
  });
}
