import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BackendGetMetaError, BackendStoreError } from '@cq/backend';
import { AuthenticationError } from '@cq/kombu';
import { RedisBackend } from '../src/index.js';

describe('redis backend without a server', () => {
  // Port 1 on localhost: nothing listens there, so every command fails fast.
  const make = () => new RedisBackend({ url: 'redis://127.0.0.1:1/11', redis: { maxRetriesPerRequest: 0, retryStrategy: () => null } });

  it('wraps failed reads and writes in the backend errors, keeping the cause', async () => {
    const backend = make();
    const read = await backend.getTaskMeta(randomUUID()).catch((err: unknown) => err);
    expect(read).toBeInstanceOf(BackendGetMetaError);
    expect((read as BackendGetMetaError).cause).toBeInstanceOf(Error);
    await expect(backend.markAsDone(randomUUID(), 1)).rejects.toBeInstanceOf(BackendStoreError);
    await backend.close();
  });

  it('rejects waitFor when it cannot subscribe, and closes without hanging', async () => {
    const backend = make();
    await expect(backend.waitFor(randomUUID(), { timeout: 10 })).rejects.toBeInstanceOf(BackendGetMetaError);
    await backend.close();
  });
});

describe('redis backend with refused credentials', () => {
  it('fails fast with kombu\'s AuthenticationError naming result_backend, never retrying', async () => {
    const backend = new RedisBackend({ url: 'redis://nobody:hunter2@127.0.0.1:6379/11' });
    const started = Date.now();
    for (const call of [() => backend.getTaskMeta(randomUUID()), () => backend.markAsDone(randomUUID(), 1), () => backend.waitFor(randomUUID(), { timeout: 10 })]) {
      const err = await call().then(() => null, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err?.message).toMatch(/^authentication failed for user "nobody" at 127\.0\.0\.1:6379\/11 \(WRONGPASS.*check the user and password in result_backend$/);
      expect(err?.message).not.toContain('hunter2');
    }
    expect(Date.now() - started).toBeLessThan(3000);
    await backend.close();
  });

  it('takes redis_backend_use_ssl from the app settings, naming it in messages', () => {
    const pem = fileURLToPath(import.meta.url); // any readable file: the files are read, not parsed, at construction
    const backend = new RedisBackend({ url: 'rediss://h:6380/0', settings: { redis_backend_use_ssl: { ssl_cert_reqs: 'CERT_REQUIRED', ssl_ca_certs: pem } } });
    expect(backend.redisUrl.tls).toMatchObject({ certReqs: 'required', caCertsFile: pem, names: { caCerts: 'redis_backend_use_ssl.ssl_ca_certs' } });
    expect(() => new RedisBackend({ url: 'redis://h/0', settings: { redis_backend_use_ssl: { ssl_ca_certs: '/ca.pem' } } })).toThrow(/use a rediss:\/\/ URL/);
  });
});
