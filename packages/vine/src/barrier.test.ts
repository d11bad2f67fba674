import { describe, expect, it } from 'vitest';
import { Barrier } from './barrier.js';
import { BarrierError } from './errors.js';
import { Thenable } from './thenable.js';

describe('Barrier', () => {
  it('fulfils with values in add order once all settle and it is finalized', () => {
    const a = new Thenable<number>();
    const b = new Thenable<number>();
    const results: number[][] = [];
    const barrier = new Barrier<number>(undefined, { callback: (v) => results.push(v) });
    barrier.add(a);
    barrier.add(b);
    expect(barrier.size).toBe(2);
    b.resolve(2);
    a.resolve(1);
    expect(barrier.ready).toBe(false); // not finalized yet
    barrier.finalize();
    expect(barrier.ready).toBe(true);
    expect(barrier.value).toEqual([1, 2]);
    expect(results).toEqual([[1, 2]]);
  });

  it('is finalized when built from a list, including plain values and native promises', async () => {
    const t = new Thenable<number>();
    const barrier = new Barrier<number>([t, Promise.resolve(2), 3]);
    expect(barrier.finalized).toBe(true);
    t.resolve(1);
    expect(await barrier).toEqual([1, 2, 3]);
  });

  it('an explicit empty list fulfils with []', () => {
    const barrier = new Barrier([]);
    expect(barrier.ready).toBe(true);
    expect(barrier.value).toEqual([]);
  });

  it('accepts adds after finalize while still waiting', () => {
    const a = new Thenable<string>();
    const c = new Thenable<string>();
    const barrier = new Barrier<string>([a]);
    barrier.add(c);
    a.resolve('a');
    expect(barrier.ready).toBe(false);
    c.resolve('c');
    expect(barrier.value).toEqual(['a', 'c']);
  });

  it('rejects with the first failure and ignores later outcomes', async () => {
    const a = new Thenable<number>();
    const b = new Thenable<number>();
    const barrier = new Barrier<number>([a, b]);
    const first = new Error('first');
    b.reject(first);
    a.reject(new Error('second'));
    expect(barrier.failed).toBe(true);
    expect(barrier.reason).toBe(first);
    await expect(Promise.resolve(barrier)).rejects.toBe(first);
  });

  it('throws BarrierError when adding to a settled barrier', () => {
    const barrier = new Barrier([1]);
    expect(() => barrier.add(2)).toThrow(BarrierError);
  });

  it('cancel stops the callback', () => {
    const a = new Thenable<number>();
    const seen: unknown[] = [];
    const barrier = new Barrier<number>([a], { callback: (v) => seen.push(v) });
    barrier.cancel();
    a.resolve(1);
    expect(seen).toEqual([]);
    expect(barrier.ready).toBe(false);
    expect(barrier.cancelled).toBe(true);
  });
});
