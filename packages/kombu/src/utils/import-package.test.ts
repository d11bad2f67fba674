import { describe, expect, it } from 'vitest';
import { requirePackage } from './import-package.js';

describe('optional packages', () => {
  it('loads an installed CommonJS package synchronously and returns null for a missing one', () => {
    const codec = requirePackage<{ Bzip2: { compressFile: unknown } }>('compressjs');
    expect(typeof codec?.Bzip2.compressFile).toBe('function');
    expect(requirePackage('cq-no-such-package-4b1d')).toBeNull();
  });

});
