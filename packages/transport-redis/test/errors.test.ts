import { describe, expect, it } from 'vitest';
import { ConfigurationError, Connection, ConnectionError, parseUrl } from '@cq/kombu';
import { redisServer, transport } from '../src/index.js';

describe('connection errors and URLs', () => {
  it('fails to connect with a recoverable ConnectionError', async () => {
    const conn = new Connection('redis://127.0.0.1:1/10', { transport });
    const err = await conn.connect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).recoverable).toBe(true);
    expect((err as ConnectionError).code).toBe('CQ_KOMBU_CONNECTION');
    expect((err as Error).cause).toBeDefined();
  });

  it('parses redis:// and rediss:// URLs', () => {
    expect(redisServer(parseUrl('redis://:s3cret@cache.local:6380/4'))).toEqual({ host: 'cache.local', port: 6380, db: 4, password: 's3cret', tls: false });
    expect(redisServer(parseUrl('rediss://user:pw@h'))).toEqual({ host: 'h', port: 6379, db: 0, username: 'user', password: 'pw', tls: true });
    expect(redisServer(parseUrl('redis://'))).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(() => redisServer(parseUrl('redis://h/x'))).toThrow(ConfigurationError);
  });

  it('rejects bad options with ConfigurationError', () => {
    const url = parseUrl('redis://localhost/0');
    expect(() => transport.create(url, { visibility_timeout: 'soon' })).toThrow(ConfigurationError);
    expect(() => transport.create(url, { priority_steps: [3, 6] })).toThrow(/priority_steps/);
  });
});
