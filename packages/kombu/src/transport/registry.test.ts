import { describe, expect, it } from 'vitest';
import { Connection } from '../connection.js';
import { TransportNotFoundError } from '../errors.js';
import { memoryTransport } from './memory.js';
import { TransportRegistry } from './registry.js';

describe('TransportRegistry', () => {
  it('has the memory transport and nothing else until told', async () => {
    const registry = new TransportRegistry();
    expect(registry.aliases()).toEqual(['memory']);
    expect((await registry.resolve('memory')).name).toBe('memory');
  });
  it('names the package to install and the plugin to pass for a known scheme that was not registered', async () => {
    const err = await new TransportRegistry().resolve('redis').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportNotFoundError);
    expect((err as Error).message).toContain('pnpm add @cq/transport-redis');
    expect((err as Error).message).toContain('redisTransport()');
  });
  it('names the closest alias for a typo and lists only packages that exist', async () => {
    const err = (await new TransportRegistry().resolve('sqllite').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/did you mean "sqlite"/);
    expect(err.message).not.toMatch(/kafka|azurestoragequeues/);
  });
  it('names the install line and the plugin, without the preset, for every transport package left out of @cq/celery', async () => {
    for (const [scheme, pkg, plugin] of [['sqs', '@cq/transport-sqs', 'sqsTransport'], ['postgresql', '@cq/transport-postgres', 'postgresTransport']]) {
      const err = (await new TransportRegistry().resolve(scheme!).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(TransportNotFoundError);
      expect(err.message).toContain(`pnpm add ${pkg}`);
      expect(err.message).toContain(`${plugin}()`);
      expect(err.message).not.toContain('preset');
    }
  });
  it('loads a registered loader once, under every alias, case-insensitively', async () => {
    let loads = 0;
    const registry = new TransportRegistry().register(['fake', 'fakes'], async () => { loads += 1; return { ...memoryTransport, name: 'fake' }; });
    expect((await registry.resolve('FAKE')).name).toBe('fake');
    await registry.resolve('fake');
    expect(loads).toBe(1);
    expect(registry.has('fakes')).toBe(true);
  });
  it('keeps two registries apart', async () => {
    const a = new TransportRegistry().register('fake', { ...memoryTransport, name: 'fake' });
    const b = new TransportRegistry();
    expect(a.has('fake')).toBe(true);
    await expect(b.resolve('fake')).rejects.toBeInstanceOf(TransportNotFoundError);
  });
  it('is what a Connection resolves its scheme with', async () => {
    const registry = new TransportRegistry().register('fake', { ...memoryTransport, name: 'fake' });
    const conn = await new Connection('fake://x', { transports: registry }).connect();
    expect(conn.isConnected).toBe(true);
    await conn.close();
    await expect(new Connection('fake://x').connect()).rejects.toBeInstanceOf(TransportNotFoundError);
  });
});
