import { afterEach, describe, expect, it } from 'vitest';
import { BackendConfigurationError } from '@cq/backend';
import { RedisBackend, celeryKeyPrefix } from './redis-backend.js';

const made: RedisBackend[] = [];
const backend = (options: ConstructorParameters<typeof RedisBackend>[0]): RedisBackend => {
  const b = new RedisBackend(options);
  made.push(b);
  return b;
};
afterEach(async () => {
  for (const b of made.splice(0)) await b.close();
});

describe('RedisBackend URL (read by @cq/redis)', () => {
  it('connects where the URL says, the redis options winning', () => {
    expect(backend({ url: 'redis://:s3cret@cache.local:6380/11' }).redisOptions).toMatchObject({ host: 'cache.local', port: 6380, db: 11, password: 's3cret' });
    expect(backend({ url: 'redis://user:p%40ss@h/2', redis: { db: 3 } }).redisOptions).toMatchObject({ username: 'user', password: 'p@ss', db: 3 });
    expect(backend({}).redisOptions).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(backend({ url: 'redis+socket:///run/redis.sock?virtual_host=4' }).redisOptions).toMatchObject({ path: '/run/redis.sock', db: 4 });
  });

  it('turns on TLS for rediss://, with redis_backend_use_ssl over the URL', () => {
    expect(backend({ url: 'rediss://h:6380/1' }).redisOptions.tls).toEqual({ servername: 'h', rejectUnauthorized: true });
    const b = backend({ url: 'rediss://h:6380/1?ssl_cert_reqs=required', useSsl: { ssl_cert_reqs: 'CERT_NONE' } });
    expect(b.redisUrl.tls).toMatchObject({ certReqs: 'none' });
    expect(b.redisOptions.tls).toMatchObject({ rejectUnauthorized: false });
  });

  it('refuses a bad URL with BackendConfigurationError, without the password', () => {
    for (const url of ['amqp://h//', 'redis://:hunter2@h/abc', 'not a url', 'redis://:hunter2@h/0?ssl_cert_reqs=none', 'rediss://:hunter2@h/0?ssl_ca_certs=/nonexistent.pem']) {
      let err: unknown;
      try {
        backend({ url });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BackendConfigurationError);
      expect((err as Error).message).not.toContain('hunter2');
    }
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
