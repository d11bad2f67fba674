/**
 * The client factory against a real redis-server of its own (TLS, Unix socket, ACL user; see
 * `private-redis.ts`), and the options it builds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { AuthenticationError, TlsError } from '@cq/kombu';
import { connectRedisClient, createRedisClient, parseRedisUrl, redisClientOptions, redisFailure, RedisConfigurationError, type ParseRedisUrlOptions } from '../src/index.js';
import { ACL_PASSWORD, ACL_USER, startTlsRedis, type TlsRedis } from './private-redis.js';

let server: TlsRedis;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startTlsRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

const auth = `${ACL_USER}:${encodeURIComponent(ACL_PASSWORD)}@`;

/** Connects with the factory; resolves with `CLIENT INFO` fields, or rejects with the connect error. */
async function connect(url: string, options: ParseRedisUrlOptions = {}): Promise<Record<string, string>> {
  const client = createRedisClient(parseRedisUrl(url, options), { connectionName: 'cq-test', redis: { maxRetriesPerRequest: 0, retryStrategy: () => null } });
  clients.push(client);
  await connectRedisClient(client);
  const info = String(await client.call('CLIENT', 'INFO'));
  return Object.fromEntries(info.trim().split(' ').map((kv) => kv.split('=') as [string, string]));
}

describe('createRedisClient on a real server', () => {
  it('connects over a Unix socket as an ACL user with an encoded password, to the db of the query', async () => {
    const info = await connect(`redis+socket://${auth}${server.socket}?virtual_host=3`);
    expect(info).toMatchObject({ user: ACL_USER, db: '3', name: 'cq-test' });
    expect((await connect(`unix://${auth}${server.socket}?db=4`)).db).toBe('4');
  });

  it('refuses a wrong password with the server\'s WRONGPASS', async () => {
    await expect(connect(`redis+socket://${ACL_USER}:nope@${server.socket}`)).rejects.toThrow(/WRONGPASS/);
  });

  it('fails fast on a wrong password or an untrusted certificate, even with ioredis\'s own retries', async () => {
    const cases = [
      { url: `redis+socket://${ACL_USER}:hunter2@${server.socket}`, type: AuthenticationError, message: /^authentication failed for user "cq" at unix:.*WRONGPASS.*check the user and password in broker_url$/ },
      { url: `rediss://${auth}localhost:${server.tlsPort}/0`, type: TlsError, message: /^broker_use_ssl\.ssl_ca_certs: the server certificate of localhost:\d+\/0 is not signed by this CA/ },
    ];
    for (const { url, type, message } of cases) {
      const client = createRedisClient(parseRedisUrl(url, { tlsSetting: 'broker_use_ssl', urlSetting: 'broker_url' }));
      clients.push(client);
      const started = Date.now();
      const err = await connectRedisClient(client).then(() => null, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(type);
      expect(err?.message).toMatch(message);
      expect(err?.message).not.toContain('hunter2');
      // Ended, not reconnecting: a later command fails at once with the same typed error.
      const later = await client.get('k').then(() => null, (e: unknown) => redisFailure(client, e));
      expect(later).toBe(err);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(client.status).toBe('end');
    }
  });

  it('verifies the server certificate over TLS: trusted with ssl_ca_certs, refused without', async () => {
    const base = `rediss://${auth}localhost:${server.tlsPort}/5`;
    expect((await connect(`${base}?ssl_cert_reqs=required&ssl_ca_certs=${encodeURIComponent(server.caFile)}`)).db).toBe('5');
    expect((await connect(base, { tls: { ssl_cert_reqs: 'CERT_OPTIONAL', ssl_ca_certs: server.caFile } })).db).toBe('5');
    await expect(connect(base)).rejects.toThrow(/self[- ]signed/i);
  });

  it('skips the checks with ssl_cert_reqs=CERT_NONE, the host name check with ssl_check_hostname=false', async () => {
    expect((await connect(`rediss://${auth}127.0.0.1:${server.tlsPort}/6?ssl_cert_reqs=CERT_NONE`)).db).toBe('6');
    const byIp = `rediss://${auth}127.0.0.1:${server.tlsPort}/6?ssl_ca_certs=${encodeURIComponent(server.caFile)}`;
    await expect(connect(byIp)).rejects.toThrow(/127\.0\.0\.1|altnames|IP/);
    expect((await connect(`${byIp}&ssl_check_hostname=false`)).db).toBe('6');
  });

  it('drops a connection silent past socket_timeout, except one made for blocking waits', async () => {
    const url = parseRedisUrl(`redis+socket://${auth}${server.socket}?socket_timeout=0.2`);
    const plain = createRedisClient(url, { redis: { maxRetriesPerRequest: 0, retryStrategy: () => null } });
    const blocking = createRedisClient(url, { blocking: true, redis: { maxRetriesPerRequest: 0 } });
    clients.push(plain, blocking);
    const dropped: Error[] = [];
    plain.on('error', (err: Error) => dropped.push(err));
    await expect(plain.blpop('cq-test-never', 1)).rejects.toThrow();
    expect(dropped.map((e) => e.message)).toContainEqual(expect.stringMatching(/^Socket timeout/));
    expect(await blocking.blpop('cq-test-never', 1)).toBeNull();
  });
});

describe('redisClientOptions', () => {
  it('builds address, db, credentials and timeouts from the URL; caller options win', () => {
    expect(redisClientOptions(parseRedisUrl('redis://u:p@h:7/2?socket_timeout=1&socket_connect_timeout=0.5'), { redis: { port: 8 } })).toEqual({
      lazyConnect: true, host: 'h', port: 8, db: 2, username: 'u', password: 'p', connectTimeout: 500, socketTimeout: 1000,
    });
    expect(redisClientOptions(parseRedisUrl('unix:///tmp/r.sock?db=1'))).toEqual({ lazyConnect: true, path: '/tmp/r.sock', db: 1 });
  });

  it('names the host for SNI unless it is an IP address', () => {
    expect(redisClientOptions(parseRedisUrl('rediss://cache.example/0')).tls).toEqual({ rejectUnauthorized: true, servername: 'cache.example' });
    expect(redisClientOptions(parseRedisUrl('rediss://10.0.0.1/0?ssl_cert_reqs=none')).tls).toEqual({ rejectUnauthorized: false, checkServerIdentity: expect.any(Function) });
  });

  it('fails fast, naming the setting, when a TLS file cannot be read', () => {
    const url = parseRedisUrl('rediss://:hunter2@h/0?ssl_ca_certs=/nonexistent/ca.pem');
    expect(() => redisClientOptions(url)).toThrow(RedisConfigurationError);
    expect(() => redisClientOptions(url)).toThrow(/^ssl_ca_certs in the Redis URL: the file "\/nonexistent\/ca.pem" \(for h:6379\/0\) cannot be read \(ENOENT\)/);
    const viaDict = parseRedisUrl('rediss://h/0', { tls: { ssl_certfile: '/nonexistent/c.pem' }, tlsSetting: 'broker_use_ssl' });
    expect(() => redisClientOptions(viaDict)).toThrow(/^broker_use_ssl\.ssl_certfile: the file/);
  });
});
