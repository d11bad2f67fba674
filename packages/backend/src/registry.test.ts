import { describe, expect, it } from 'vitest';
import type { Backend, BackendOptions } from './backend.js';
import { BackendNotInstalledError, UnknownBackendError } from './errors.js';
import { MemoryBackend } from './memory.js';
import { backendAliases, backendScheme, createBackend, registerBackend } from './registry.js';

describe('backend registry', () => {
  it('creates the built-in memory backend from memory:// and cache+memory://', async () => {
    const a = await createBackend('memory://reg', { extended: true });
    const b = await createBackend('cache+memory://reg');
    expect(a).toBeInstanceOf(MemoryBackend);
    expect((a as MemoryBackend).name).toBe('reg');
    expect(a.extended).toBe(true);
    expect(a.url).toBe('memory://reg');
    await a.markAsDone('shared-id', 'x');
    expect(await b.getResult('shared-id')).toBe('x');
  });

  it('reads the scheme of a URL', () => {
    expect(backendScheme('db+sqlite:///x.db')).toBe('db+sqlite');
    expect(backendScheme('REDIS://h:6379/0')).toBe('redis');
    expect(backendScheme('memory')).toBe('memory');
  });

  it('names the closest alias for an unknown scheme', async () => {
    const err = await createBackend('reddis://localhost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownBackendError);
    expect((err as UnknownBackendError).code).toBe('CQ_BACKEND_UNKNOWN');
    expect((err as Error).message).toMatch(/did you mean "redis"/);
  });

  it('names the package to install when a backend package is missing', async () => {
    const err = await createBackend('mongodb://localhost:27017/results').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendNotInstalledError);
    expect((err as BackendNotInstalledError).code).toBe('CQ_BACKEND_NOT_INSTALLED');
    expect((err as BackendNotInstalledError).packageName).toBe('@cq/backend-mongodb');
    expect((err as Error).message).toContain('pnpm add @cq/backend-mongodb');
  });

  it('imports every alias target, or fails with BackendNotInstalledError', async () => {
    for (const alias of backendAliases()) {
      const url = alias.endsWith('memory') ? `${alias}://` : alias.endsWith('sqlite') ? `${alias}://:memory:` : `${alias}://localhost`;
      // rpc:// needs the app's broker; give it one so a loaded package can be created.
      const options = alias === 'rpc' ? ({ brokerUrl: 'amqp://guest:guest@127.0.0.1:5672//' } as BackendOptions) : {};
      const result: Backend | Error = await createBackend(url, options).catch((e: Error) => e);
      if (result instanceof Error) expect(result, alias).toBeInstanceOf(BackendNotInstalledError);
      else await result.close();
    }
  });

  it('registers a new scheme from a factory or a loader', async () => {
    registerBackend('test-mem', MemoryBackend);
    registerBackend('test-lazy', async () => MemoryBackend);
    expect(await createBackend('test-mem://one')).toBeInstanceOf(MemoryBackend);
    expect(await createBackend('test-lazy://two')).toBeInstanceOf(MemoryBackend);
    expect(backendAliases()).toContain('test-lazy');
  });
});
