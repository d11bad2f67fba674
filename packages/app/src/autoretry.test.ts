import { describe, expect, it } from 'vitest';
import { autoretryFor, errorMatches, exponentialBackoff } from './autoretry.js';
import { Ignore, Reject, Retry } from './errors.js';

/** A seeded generator (mulberry32) so jitter draws are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('exponentialBackoff (Celery get_exponential_backoff_interval)', () => {
  it('doubles per retry from the factor and stops at the maximum without jitter', () => {
    expect([0, 1, 2, 3, 4].map((r) => exponentialBackoff(1, r, 600))).toEqual([1, 2, 4, 8, 16]);
    expect([0, 1, 2].map((r) => exponentialBackoff(3, r, 600))).toEqual([3, 6, 12]);
    expect(exponentialBackoff(1, 20, 600)).toBe(600);
    expect(exponentialBackoff(0, 5, 600)).toBe(0);
  });

  it('with full jitter draws whole seconds in 0..countdown, reaching both ends', () => {
    const random = seeded(42);
    for (const retries of [0, 1, 2, 3, 5, 12]) {
      const cap = Math.min(600, 2 ** retries);
      const draws = Array.from({ length: 2000 }, () => exponentialBackoff(1, retries, 600, true, random));
      expect(draws.filter((d) => !Number.isInteger(d) || d < 0 || d > cap)).toEqual([]);
      if (cap <= 8) {
        expect(new Set(draws).size).toBe(cap + 1);
      }
    }
    // The bounds of the random source map to 0 and the countdown itself (Python randrange(countdown + 1)).
    expect(exponentialBackoff(1, 3, 600, true, () => 0)).toBe(0);
    expect(exponentialBackoff(1, 3, 600, true, () => 0.999999)).toBe(8);
  });
});

describe('autoretryFor (Celery autoretry_for / dont_autoretry_for)', () => {
  class Transient extends Error { override name = 'Transient'; }
  class Fatal extends Transient { override name = 'Fatal'; }

  it('matches classes and names, honours dontAutoretryFor and never retries control-flow signals', () => {
    expect(errorMatches(new Fatal('x'), [Transient])).toBe(true);
    expect(errorMatches({ name: 'ConnectionError' }, ['ConnectionError'])).toBe(true);
    expect(errorMatches(new Error('x'), ['ConnectionError'])).toBe(false);
    const options = { autoretryFor: [Transient, 'ECONNRESET'], dontAutoretryFor: [Fatal] };
    expect(autoretryFor(options, new Transient('t'), 0)).toMatchObject({ exc: expect.any(Transient) });
    expect(autoretryFor(options, Object.assign(new Error('reset'), { name: 'ECONNRESET' }), 0)).not.toBeNull();
    expect(autoretryFor(options, new Fatal('f'), 0)).toBeNull();
    expect(autoretryFor(options, new TypeError('t'), 0)).toBeNull();
    expect(autoretryFor({ autoretryFor: [Error] }, new Retry('r'), 0)).toBeNull();
    expect(autoretryFor({ autoretryFor: [Error] }, new Ignore('i'), 0)).toBeNull();
    expect(autoretryFor({ autoretryFor: [Error] }, new Reject('j'), 0)).toBeNull();
  });

  it('computes the backoff countdown from the retry count and keeps retryKwargs', () => {
    const options = { autoretryFor: [Error], retryBackoff: 2, retryBackoffMax: 10, retryJitter: false, retryKwargs: { maxRetries: 7 } };
    expect(autoretryFor(options, new Error('x'), 0)).toMatchObject({ countdown: 2, maxRetries: 7 });
    expect(autoretryFor(options, new Error('x'), 2)).toMatchObject({ countdown: 8 });
    expect(autoretryFor(options, new Error('x'), 3)).toMatchObject({ countdown: 10 });
    const jittered = autoretryFor({ autoretryFor: [Error], retryBackoff: true }, new Error('x'), 4, () => 0.5);
    expect(jittered?.countdown).toBe(8);
    expect(autoretryFor({ autoretryFor: [Error] }, new Error('x'), 4)?.countdown).toBeUndefined();
  });
});
