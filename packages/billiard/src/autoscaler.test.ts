import { describe, expect, it } from 'vitest';
import { Autoscaler } from './autoscaler.js';
import type { Scalable } from './autoscaler.js';

/** A stand-in pool: the autoscaler only reads counts and calls grow/shrink. */
function fakePool(size: number): Scalable & { queued: number; active: number; size: number } {
  return {
    size,
    queued: 0,
    active: 0,
    grow(n) {
      this.size += n;
    },
    shrink(n) {
      this.size -= n;
    },
  };
}

describe('Autoscaler (celery.worker.autoscale semantics)', () => {
  it('grows at once to min(jobs, max)', () => {
    const pool = fakePool(1);
    const scaler = new Autoscaler(pool, { min: 1, max: 4 });
    pool.queued = 3;
    pool.active = 1;
    expect(scaler.maybeScale()).toBe(true);
    expect(pool.size).toBe(4);
    pool.queued = 10;
    expect(scaler.maybeScale()).toBe(false);
    expect(pool.size).toBe(4);
  });

  it('shrinks toward max(jobs, min) only after keepalive since the last growth, never before a first growth', async () => {
    const pool = fakePool(3);
    const scaler = new Autoscaler(pool, { min: 1, max: 4, keepalive: 0.05 });
    expect(scaler.maybeScale()).toBe(false); // no growth yet
    pool.active = 4;
    scaler.maybeScale();
    expect(pool.size).toBe(4);
    pool.active = 2;
    expect(scaler.maybeScale()).toBe(false); // within keepalive
    await new Promise((r) => setTimeout(r, 80));
    expect(scaler.maybeScale()).toBe(true);
    expect(pool.size).toBe(2);
    pool.active = 0;
    scaler.maybeScale();
    expect(pool.size).toBe(1);
  });

  it('rejects min > max', () => {
    expect(() => new Autoscaler(fakePool(1), { min: 3, max: 2 })).toThrow(RangeError);
  });
});
