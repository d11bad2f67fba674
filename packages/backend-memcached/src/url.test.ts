import { describe, expect, it } from 'vitest';
import { MemcachedUrlError } from './errors.js';
import { cacheUrl, isMemoryCache, parseMemcachedServers } from './url.js';

describe('memcached URLs (Celery CacheBackend)', () => {
  it('reads one server, several separated by ";", default ports and IPv6', () => {
    expect(parseMemcachedServers(cacheUrl('cache+memcached://127.0.0.1:11311/'))).toEqual([{ host: '127.0.0.1', port: 11311 }]);
    expect(parseMemcachedServers(cacheUrl('cache+pylibmc://a:1;b;[::1]:3/'))).toEqual([
      { host: 'a', port: 1 }, { host: 'b', port: 11211 }, { host: '::1', port: 3 },
    ]);
    expect(parseMemcachedServers(cacheUrl('cache+memcache://h'))).toEqual([{ host: 'h', port: 11211 }]);
  });

  it('takes the servers of the bare alias "cache" from the cache_backend setting', () => {
    expect(cacheUrl('cache', 'memcached://h:5/')).toBe('memcached://h:5/');
    expect(isMemoryCache(cacheUrl('cache', 'memory://'))).toBe(true);
    expect(() => cacheUrl('cache')).toThrow(/cache_backend/);
  });

  it('refuses what cq cannot serve, naming the form', () => {
    for (const url of ['cache+memcached:///', 'cache+memcached://h:0/', 'cache+memcached://h:x/', 'cache+redis://h/', 'cache+memcached:///tmp/mc.sock', 'cache+memcached://udp:h:1/']) {
      expect(() => parseMemcachedServers(cacheUrl(url)), url).toThrow(MemcachedUrlError);
    }
    expect(() => cacheUrl('redis://h/')).toThrow(/cache\+memcached:\/\/host:port/);
  });
});
