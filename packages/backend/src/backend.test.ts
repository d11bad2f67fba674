import { describe, expect, it } from 'vitest';
import { ContentDisallowedError } from '@cq/kombu';
import { BackendConfigurationError, BackendGetMetaError, BackendStoreError } from './errors.js';
import { MemoryBackend } from './memory.js';

class FlakyBackend extends MemoryBackend {
  protected override async get(): Promise<Buffer | null> {
    throw new Error('disk on fire');
  }
}

describe('Backend base', () => {
  it('validates its options', () => {
    expect(() => new MemoryBackend({ serializer: 'nope' })).toThrow(BackendConfigurationError);
    expect(() => new MemoryBackend({ accept: ['json', 'nope'] })).toThrow(BackendConfigurationError);
    expect(() => new MemoryBackend({ expires: -1 })).toThrow(/expires/);
    expect(new MemoryBackend({ expires: 0 }).expires).toBeNull();
    expect(new MemoryBackend().expires).toBe(86400);
    expect(new MemoryBackend({ serializer: 'msgpack' }).accept).toEqual(['msgpack']);
  });

  it('wraps store failures in BackendStoreError / BackendGetMetaError keeping the cause', async () => {
    const backend = new FlakyBackend({ name: 'flaky' });
    const read = await backend.getTaskMeta('t').catch((e: unknown) => e);
    expect(read).toBeInstanceOf(BackendGetMetaError);
    expect((read as BackendGetMetaError).taskId).toBe('t');
    expect(((read as Error).cause as Error).message).toBe('disk on fire');
    await expect(backend.markAsDone('t', 1)).rejects.toBeInstanceOf(BackendStoreError);
  });

  it('enforces accept when reading (result_accept_content)', async () => {
    const writer = new MemoryBackend({ name: 'accept', serializer: 'msgpack' });
    await writer.markAsDone('t', { packed: [1, 2] });
    expect(await writer.getResult('t')).toEqual({ packed: [1, 2] });
    const strict = new MemoryBackend({ name: 'accept', serializer: 'msgpack', accept: ['json'] });
    await expect(strict.getTaskMeta('t')).rejects.toBeInstanceOf(ContentDisallowedError);
  });

  it('stores result objects as their tuples and keeps exception dicts as given', async () => {
    const backend = new MemoryBackend({ name: 'encode' });
    await backend.markAsDone('t', { asTuple: () => [['child', null], null] });
    expect(await backend.getResult('t')).toEqual([['child', null], null]);
    const info = { exc_type: 'Reject', exc_message: ['no'], exc_module: 'celery.exceptions' };
    await backend.markAsFailure('f', info);
    expect((await backend.getTaskMeta('f')).result).toEqual(info);
    await backend.storeResult('p', { current: 3, total: 10 }, 'PROGRESS');
    expect(await backend.getTaskMeta('p')).toMatchObject({ status: 'PROGRESS', result: { current: 3, total: 10 }, date_done: null });
  });

  it('wakes a waiter at once when the same store is written in this process', async () => {
    const waiter = new MemoryBackend({ name: 'wake' });
    const writer = new MemoryBackend({ name: 'wake' });
    const waiting = waiter.waitFor('w', { interval: 60, timeout: 30 });
    // Polls back off 1, 2, 4 … ms: after the read at ~1023 ms the next is due at ~2047 ms.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const writtenAt = Date.now();
    await writer.markAsDone('w', 'ok');
    expect((await waiting).result).toBe('ok');
    expect(Date.now() - writtenAt).toBeLessThan(600);
  });
});
