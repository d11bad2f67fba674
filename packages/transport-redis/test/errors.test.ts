import { describe, expect, it } from 'vitest';
import { AuthenticationError, ConfigurationError, Connection, ConnectionError, parseUrl } from '@cq/kombu';
import { RedisConfigurationError } from '@cq/redis';
import { RedisTransport, transport } from '../src/index.js';

describe('connection errors and URLs', () => {
  it('fails to connect with a recoverable ConnectionError', async () => {
    const conn = new Connection('redis://127.0.0.1:1/10', { transport });
    const err = await conn.connect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).recoverable).toBe(true);
    expect((err as ConnectionError).code).toBe('CQ_KOMBU_CONNECTION');
    expect((err as Error).cause).toBeDefined();
  });

  it('reads its URL with @cq/redis: redis://, rediss:// with TLS options, redis+socket://', () => {
    const server = (url: string) => (transport.create(parseUrl(url), {}) as RedisTransport).server;
    expect(server('redis://:s3cret@cache.local:6380/4')).toMatchObject({ host: 'cache.local', port: 6380, db: 4, password: 's3cret', tls: null });
    expect(server('rediss://user:pw@h?ssl_cert_reqs=CERT_NONE')).toMatchObject({ host: 'h', port: 6379, db: 0, username: 'user', password: 'pw', tls: { certReqs: 'none' } });
    expect(server('redis+socket:///run/redis.sock?virtual_host=2')).toMatchObject({ path: '/run/redis.sock', db: 2 });
    expect(() => server('redis://:s3cret@h/x')).toThrow(ConfigurationError);
    expect(() => server('redis://:s3cret@h/x')).toThrow(RedisConfigurationError);
    expect(() => server('redis://:s3cret@h/x')).not.toThrow(/s3cret/);
  });

  it('refuses wrong credentials with an AuthenticationError (a ConfigurationError) naming the fix', async () => {
    const conn = new Connection('redis://nobody:hunter2@127.0.0.1:6379/10', { transport });
    const err = await conn.connect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err).toMatchObject({ code: 'CQ_KOMBU_AUTHENTICATION', user: 'nobody', setting: 'broker_url' });
    expect((err as Error).message).toMatch(/^authentication failed for user "nobody" at 127\.0\.0\.1:6379\/10 \(WRONGPASS.*\): check the user and password in broker_url$/);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('reads broker_use_ssl (the connection\'s ssl) as kombu does: a dict turns TLS on, unknown keys are named', () => {
    const server = (url: string, ssl: Record<string, unknown>) => (transport.create(parseUrl(url), {}, { ssl }) as RedisTransport).server;
    expect(server('redis://h/0', { ssl_cert_reqs: 'CERT_REQUIRED', ssl_ca_certs: '/ca.pem' }).tls).toMatchObject({
      certReqs: 'required', caCertsFile: '/ca.pem', names: { caCerts: 'broker_use_ssl.ssl_ca_certs' },
    });
    expect(() => server('rediss://h/0', { ca_certs: '/ca.pem' })).toThrow(/unknown TLS setting ca_certs .*did you mean ssl_ca_certs/);
  });

  it('rejects bad options with ConfigurationError', () => {
    const url = parseUrl('redis://localhost/0');
    expect(() => transport.create(url, { visibility_timeout: 'soon' })).toThrow(ConfigurationError);
    expect(() => transport.create(url, { priority_steps: [3, 6] })).toThrow(/priority_steps/);
  });
});
