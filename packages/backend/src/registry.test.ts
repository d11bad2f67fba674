import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BackendNotInstalledError, UnknownBackendError } from './errors.js';
import { MemoryBackend } from './memory.js';
import { BackendRegistry, backendScheme } from './registry.js';

describe('BackendRegistry', () => {
  it('creates the built-in memory backend from memory:// and cache+memory://', async () => {
    const registry = new BackendRegistry();
    const a = await registry.create('memory://reg', { extended: true });
    const b = await registry.create('cache+memory://reg');
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

  it('names the closest alias for an unknown scheme, listing only packages that exist', async () => {
    const err = await new BackendRegistry().create('reddis://localhost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownBackendError);
    expect((err as UnknownBackendError).code).toBe('CQ_BACKEND_UNKNOWN');
    expect((err as Error).message).toMatch(/did you mean "redis"/);
    // Celery stores no server or emulator can run here have no package, so none is named.
    expect((err as Error).message).not.toMatch(/cassandra|elasticsearch|riak|couchbase|arangodb|cosmosdb|gcs/);
    // Every package the message names is one of this repository's.
    for (const [, dir] of (err as Error).message.matchAll(/@cq\/(backend-[a-z0-9-]+)/g)) {
      expect(existsSync(new URL(`../../${dir}/package.json`, import.meta.url)), dir).toBe(true);
    }
  });

  it('names the package to install and the plugin to pass for a known scheme not registered', async () => {
    const err = await new BackendRegistry().create('redis://localhost:6379/0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendNotInstalledError);
    expect((err as BackendNotInstalledError).code).toBe('CQ_BACKEND_NOT_INSTALLED');
    expect((err as BackendNotInstalledError).packageName).toBe('@cq/backend-redis');
    expect((err as Error).message).toContain('pnpm add @cq/backend-redis');
    expect((err as Error).message).toContain('redisBackend()');
  });

  it('reads db+<dialect>+<python driver> as db+<dialect>, and names the database packages', async () => {
    const registry = new BackendRegistry().register('db+mysql', MemoryBackend);
    expect(registry.has('db+mysql+pymysql')).toBe(true);
    expect(await registry.create('db+mysql+pymysql://root@localhost/test')).toBeInstanceOf(MemoryBackend);
    for (const [url, pkg, plugin] of [
      ['db+postgresql+psycopg2://postgres@localhost/test', '@cq/backend-postgres', 'postgresBackend()'],
      ['db+postgresql://postgres@localhost/test', '@cq/backend-postgres', 'postgresBackend()'],
      ['db+mariadb://root@localhost/test', '@cq/backend-mysql', 'mysqlBackend()'],
      ['db+mysql+mysqldb://root@localhost/test', '@cq/backend-mysql', 'mysqlBackend()'],
    ] as const) {
      const err = await new BackendRegistry().create(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendNotInstalledError);
      expect((err as BackendNotInstalledError).packageName).toBe(pkg);
      expect((err as Error).message).toContain(plugin);
    }
  });

  it('registers schemes from a factory or a loader, per registry', async () => {
    let loads = 0;
    const registry = new BackendRegistry()
      .register('test-mem', MemoryBackend)
      .register(['test-lazy', 'test-lazy2'], async () => { loads += 1; return MemoryBackend; });
    expect(await registry.create('test-mem://one')).toBeInstanceOf(MemoryBackend);
    expect(await registry.create('test-lazy://two')).toBeInstanceOf(MemoryBackend);
    await registry.create('test-lazy://three');
    expect(loads).toBe(1);
    expect(registry.aliases()).toContain('test-lazy2');
    await expect(new BackendRegistry().create('test-mem://one')).rejects.toBeInstanceOf(UnknownBackendError);
  });
});
