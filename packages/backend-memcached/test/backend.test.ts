/**
 * MemcachedBackend against a private memcached: the shared conformance suite, then what is
 * memcached-specific (Celery's key, pylibmc's flags and the TTL as the server holds them, the
 * 30-day rule, incr, the registry, a server that is down).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendGetMetaError, BackendNotInstalledError, BackendRegistry, BackendStoreError, MemoryBackend } from '@cq/backend';
import { describeBackend } from '@cq/backend/testing';
import { freePort } from '@cq/tooling/testing';
import MemcachedBackendDefault, { MemcachedBackend, MemcachedOptionsError, memcachedBackend } from '../src/index.js';
import { inspectItem, startMemcached, type PrivateMemcached } from './private-memcached.js';

let mc: PrivateMemcached;
beforeAll(async () => { mc = await startMemcached(); });
afterAll(async () => { await mc?.stop(); });

describeBackend('memcached', (o) => new MemcachedBackend({ url: mc.url, ...o }));

/** Exposes the protected incr hook. */
class Counting extends MemcachedBackend {
  count(key: string): Promise<number> {
    return this.incr(key);
  }
}

describe('memcached backend on the wire', () => {
  it("stores Celery's JSON under celery-task-meta-<id> with pylibmc's text flag (16) and the expires TTL", async () => {
    const backend = new MemcachedBackend({ url: mc.url, expires: 600 });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, { n: [1, { x: 'ü' }] }, { group: 'g-1', parentId: 'p-1' });
    const item = await inspectItem(mc.port, `celery-task-meta-${taskId}`);
    expect(item).toMatchObject({ flags: 16 });
    expect(item!.ttl).toBeGreaterThan(590);
    expect(item!.ttl).toBeLessThanOrEqual(600);
    const meta = JSON.parse(item!.value) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id', 'task_id']);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: { n: [1, { x: 'ü' }] }, task_id: taskId });
    await backend.close();
  });

  it('writes flags 0 for a binary serializer (msgpack), as pylibmc does for bytes, and reads it back', async () => {
    const backend = new MemcachedBackend({ url: mc.url, serializer: 'msgpack' });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, { a: [1, 2] });
    expect(await inspectItem(mc.port, `celery-task-meta-${taskId}`)).toMatchObject({ flags: 0 });
    expect(await backend.getResult(taskId)).toEqual({ a: [1, 2] });
    await backend.close();
  });

  it('keeps items past 30 days (written as a unix time) and without expiry for expires null', async () => {
    const long = new MemcachedBackend({ url: mc.url, expires: 40 * 86_400 });
    const forever = new MemcachedBackend({ url: mc.url, expires: null });
    const [a, b] = [randomUUID(), randomUUID()];
    await long.markAsDone(a, 'forty days');
    await forever.markAsDone(b, 'forever');
    const item = await inspectItem(mc.port, `celery-task-meta-${a}`);
    expect(item!.ttl).toBeGreaterThan(40 * 86_400 - 60);
    expect(item!.ttl).toBeLessThanOrEqual(40 * 86_400 + 2); // memcached's clock ticks once a second, so ±1 s on unix times
    expect(await long.getResult(a)).toBe('forty days');
    expect((await inspectItem(mc.port, `celery-task-meta-${b}`))!.ttl).toBe(-1);
    await long.close();
    await forever.close();
  });

  it('counts with incr, creating a missing counter at 1 with the expires TTL', async () => {
    const backend = new Counting({ url: mc.url, expires: 300 });
    const key = `chord-unlock-${randomUUID()}`;
    expect(await backend.count(key)).toBe(1);
    expect(await backend.count(key)).toBe(2);
    const item = await inspectItem(mc.port, key);
    expect(item).toMatchObject({ value: '2' });
    expect(item!.ttl).toBeGreaterThan(290);
    await backend.close();
  });

  it('resolves cache+memcached:// and the "cache" alias through the plugin; without it names the package', async () => {
    const registry = new BackendRegistry();
    memcachedBackend().install({ backends: registry });
    const servers = mc.url.slice('cache+'.length);
    const viaUrl = await registry.create(mc.url);
    const viaAlias = await registry.create('cache', { settings: { cache_backend: servers } });
    const memory = await registry.create('cache', { settings: { cache_backend: 'memory://' } });
    expect(viaUrl).toBeInstanceOf(MemcachedBackendDefault);
    expect(memory).toBeInstanceOf(MemoryBackend);
    const taskId = randomUUID();
    await viaUrl.markAsDone(taskId, 7);
    expect(await viaAlias.getResult(taskId)).toBe(7);
    await Promise.all([viaUrl.close(), viaAlias.close(), memory.close()]);

    for (const url of [mc.url, 'cache+pylibmc://h/', 'cache']) {
      const err = await new BackendRegistry().create(url).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(BackendNotInstalledError);
      expect((err as Error).message).toContain('pnpm add @cq/backend-memcached');
      expect((err as Error).message).toContain('memcachedBackend()');
      expect((err as Error).message).not.toContain('preset includes it');
    }
  });

  it('takes cache_backend_options from the settings and refuses ones that move keys', () => {
    expect(() => new MemcachedBackend({ url: mc.url, settings: { cache_backend_options: { behaviors: { ketama: true } } } }))
      .toThrow(MemcachedOptionsError);
    expect(() => new MemcachedBackend({ url: mc.url, cacheOptions: { behaviors: { distribution: 'consistent' } } })).toThrow(/distribution/);
  });

  it('fails reads and writes with the backend errors when no server listens', async () => {
    const port = await freePort();
    const backend = new MemcachedBackend({ url: `cache+memcached://127.0.0.1:${port}/`, cacheOptions: { behaviors: { connect_timeout: 300 } } });
    const taskId = randomUUID();
    const write = await backend.markAsDone(taskId, 1).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(BackendStoreError);
    expect((write as Error).message).toMatch(/ECONNREFUSED/);
    expect(await backend.getTaskMeta(taskId).catch((e: unknown) => e)).toBeInstanceOf(BackendGetMetaError);
    await backend.close();
  });
});
