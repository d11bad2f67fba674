import { describe, expect, it } from 'vitest';
import { checkCacheOptions, memcachedExptime, oneAtATime, serverIndex } from './client.js';
import { MemcachedOptionsError } from './errors.js';

describe('memcached client set-up', () => {
  it("hashes keys with libmemcached's one-at-a-time (values from a Python port checked against pylibmc)", () => {
    expect(oneAtATime('')).toBe(0);
    expect(oneAtATime('a')).toBe(3_392_050_242);
    expect(oneAtATime('celery-task-meta-00000000-0000-0000-0000-000000000000')).toBe(1_770_643_771);
    expect(oneAtATime('celery-task-meta-ü')).toBe(2_251_447_318); // bytes >= 0x80 sign-extended, as C's char
    expect(serverIndex('a', 1)).toBe(0);
    expect(serverIndex('a', 3)).toBe(3_392_050_242 % 3);
  });

  it("writes TTLs under memcached's 30-day rule", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(memcachedExptime(null, now)).toBe(0);
    expect(memcachedExptime(0.2, now)).toBe(1);
    expect(memcachedExptime(86_400.5, now)).toBe(86_401);
    expect(memcachedExptime(30 * 86_400, now)).toBe(30 * 86_400);
    expect(memcachedExptime(30 * 86_400 + 1, now)).toBe(now / 1000 + 30 * 86_400 + 1);
  });

  it('accepts pylibmc options that keep key placement and refuses the others', () => {
    checkCacheOptions({ binary: true, username: 'u', password: 'p', behaviors: { tcp_nodelay: true, connect_timeout: 100, hash: 'default', ketama: false } });
    for (const behaviors of [{ ketama: true }, { hash: 'md5' }, { distribution: 'consistent' }]) {
      expect(() => checkCacheOptions({ behaviors })).toThrow(MemcachedOptionsError);
    }
    expect(() => checkCacheOptions({ servers: ['x'] } as never)).toThrow(/not a pylibmc.Client option/);
  });
});
