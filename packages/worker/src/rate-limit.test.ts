import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket, parseRate } from './rate-limit.js';

describe('parseRate (Celery celery.utils.time.rate)', () => {
  it('reads per second, minute and hour; numbers are per second; empty means no limit', () => {
    expect(parseRate('10/s')).toBe(10);
    expect(parseRate('120/m')).toBe(2);
    expect(parseRate('3600/h')).toBe(1);
    expect(parseRate('0.5')).toBe(0.5);
    expect(parseRate(4)).toBe(4);
    expect([parseRate(null), parseRate(undefined), parseRate(''), parseRate(0)]).toEqual([0, 0, 0, 0]);
    expect(() => parseRate('10/d')).toThrow(/invalid rate limit "10\/d"/);
    expect(() => parseRate('x/s')).toThrow(RangeError);
  });
});

describe('TokenBucket (kombu TokenBucket, capacity 1)', () => {
  it('starts full, refills at the fill rate and predicts the wait', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 1, () => now);
    expect(bucket.canConsume()).toBe(true);
    expect(bucket.canConsume()).toBe(false);
    expect(bucket.expectedTime()).toBeCloseTo(0.1, 6);
    now = 50;
    expect(bucket.canConsume()).toBe(false);
    expect(bucket.expectedTime()).toBeCloseTo(0.05, 6);
    now = 100;
    expect(bucket.canConsume()).toBe(true);
    now = 10_000;
    expect(bucket.canConsume()).toBe(true);
    expect(bucket.canConsume()).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('releases unlimited types at once and limited ones one per token, in order', async () => {
    const released: string[] = [];
    const limiter = new RateLimiter<string>((name) => (name === 'slow' ? '50/s' : null), (item) => released.push(item));
    for (let i = 0; i < 5; i++) limiter.add('slow', `s${i}`);
    limiter.add('fast', 'f0');
    expect(released).toEqual(['s0', 'f0']);
    expect(limiter.pendingCount).toBe(4);
    await new Promise((r) => setTimeout(r, 150));
    expect(released).toEqual(['s0', 'f0', 's1', 's2', 's3', 's4']);
  });

  it('hands back held items and changes rates at run time', () => {
    const released: number[] = [];
    const limiter = new RateLimiter<number>(() => '1/h', (item) => released.push(item));
    [1, 2, 3].forEach((n) => limiter.add('t', n));
    expect(released).toEqual([1]);
    expect(limiter.takePending()).toEqual([2, 3]);
    [4, 5].forEach((n) => limiter.add('t', n));
    limiter.setRate('t', null);
    expect(released).toEqual([1, 4, 5]);
    expect(limiter.limited('t')).toBe(false);
  });
});
