import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BackendGetMetaError, BackendStoreError } from '@cq/backend';
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
