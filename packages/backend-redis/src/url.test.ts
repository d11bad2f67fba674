import { describe, expect, it } from 'vitest';
import { BackendConfigurationError } from '@cq/backend';
import { celeryKeyPrefix } from './redis-backend.js';
import { redisOptionsFromUrl } from './url.js';

describe('redisOptionsFromUrl', () => {
  it('reads host, port, db and password as Celery does', () => {
    expect(redisOptionsFromUrl('redis://:s3cret@cache.local:6380/11')).toEqual({ host: 'cache.local', port: 6380, db: 11, password: 's3cret' });
    expect(redisOptionsFromUrl('redis://user:p%40ss@h/2')).toEqual({ host: 'h', port: 6379, db: 2, username: 'user', password: 'p@ss' });
  });
  it('defaults to localhost:6379 db 0', () => {
    expect(redisOptionsFromUrl('redis://')).toEqual({ host: 'localhost', port: 6379, db: 0 });
    expect(redisOptionsFromUrl('redis://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
  });
  it('turns on TLS for rediss://, without certificate checks for ssl_cert_reqs=none', () => {
    expect(redisOptionsFromUrl('rediss://h:6380/1').tls).toEqual({ servername: 'h' });
    expect(redisOptionsFromUrl('rediss://h:6380/1?ssl_cert_reqs=CERT_NONE').tls).toEqual({ servername: 'h', rejectUnauthorized: false });
    expect(redisOptionsFromUrl('redis://h/1').tls).toBeUndefined();
  });
  it('refuses other schemes and a db that is not a number', () => {
    expect(() => redisOptionsFromUrl('amqp://h//')).toThrow(BackendConfigurationError);
    expect(() => redisOptionsFromUrl('redis://h/abc')).toThrow(/must be a number/);
    expect(() => redisOptionsFromUrl('not a url')).toThrow(BackendConfigurationError);
  });
});

describe('celeryKeyPrefix', () => {
  it('adds "_" unless the prefix ends in a separator (Celery global_keyprefix)', () => {
    expect(celeryKeyPrefix(undefined)).toBe('');
    expect(celeryKeyPrefix('')).toBe('');
    expect(celeryKeyPrefix('app')).toBe('app_');
    expect(celeryKeyPrefix('app:')).toBe('app:');
    expect(celeryKeyPrefix('app.')).toBe('app.');
  });
});
