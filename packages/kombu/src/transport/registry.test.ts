import { describe, expect, it } from 'vitest';
import { TransportNotFoundError } from '../errors.js';
import { resolveTransport, transportAliases } from './registry.js';

describe('transport registry', () => {
  it('resolves the built-in memory transport', async () => {
    expect((await resolveTransport('memory')).name).toBe('memory');
  });
  it('names the closest alias for a typo', async () => {
    await expect(resolveTransport('sqllite')).rejects.toThrow(/did you mean "sqlite"/);
  });
  it('names the package to install when a transport package is missing', async () => {
    // Only packages of this issue are installed; the others must fail with the pnpm line.
    const err = await resolveTransport('sqs').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportNotFoundError);
    expect((err as Error).message).toContain('pnpm add @cq/transport-sqs');
  });
  it('imports every alias target that is installed', async () => {
    for (const alias of transportAliases()) {
      const result = await resolveTransport(alias).then((d) => d.name, (e: Error) => e);
      if (result instanceof Error) expect(result).toBeInstanceOf(TransportNotFoundError);
      else expect(typeof result).toBe('string');
    }
  });
});
