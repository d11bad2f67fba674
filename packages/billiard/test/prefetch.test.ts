/**
 * Adaptive prefetch (Child.capacity) and rebalancing (Pool takes back jobs queued behind a slow one),
 * for both kinds: fast jobs are prefetched deep into a child, slow ones one deep, and jobs waiting
 * behind a slow job move to a child that went idle instead of waiting for it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PREFETCH } from '@cq/billiard';
import { KINDS, startPool, terminateAll } from './helpers.js';

afterEach(terminateAll);

describe.each(KINDS)('%s pool', (kind) => {
  it('prefetches deep behind sub-millisecond jobs and one deep behind slow ones', async () => {
    const pool = await startPool(kind, { size: 1 });
    expect(pool.capacity).toBe(2);
    await Promise.all(Array.from({ length: 300 }, (_, i) => pool.apply({ op: 'echo', value: i })));
    expect(pool.capacity).toBe(1 + MAX_PREFETCH);
    for (let i = 0; i < 12; i++) await pool.apply({ op: 'sleep', ms: 25 });
    expect(pool.capacity).toBe(2);
  });

  it('moves the jobs queued behind a slow job to the child that went idle', async () => {
    const pool = await startPool(kind, { size: 2 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => pool.apply({ op: 'echo', value: i })));
    expect(pool.capacity).toBeGreaterThan(4); // both children prefetch deep now
    const order: string[] = [];
    const slow = pool.apply<number>({ op: 'sleep', ms: 1_500 }).then((pid) => {
      order.push('slow');
      return pid;
    });
    // Handed out alternately: half of these land behind the slow job in its child.
    const fast = Array.from({ length: 10 }, () => pool.apply<number>({ op: 'sleep', ms: 1 }).then((pid) => {
      order.push('fast');
      return pid;
    }));
    const fastPids = await Promise.all(fast);
    const slowPid = await slow;
    expect(order).toEqual([...Array(10).fill('fast'), 'slow']);
    expect(fastPids.every((pid) => pid !== slowPid)).toBe(true);
  });
});
