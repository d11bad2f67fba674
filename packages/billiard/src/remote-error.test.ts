import { describe, expect, it } from 'vitest';
import { deserializeError, serializeError } from './remote-error.js';
import { SoftTimeLimitExceeded } from './errors.js';

class QuotaError extends Error {
  override name = 'QuotaError';
  readonly code = 'E_QUOTA';
  readonly limit = 10;
  readonly hook = () => 1;
}

describe('serializeError / deserializeError', () => {
  it('keeps name, message, stack, own fields and cause through structured clone', () => {
    const original = new QuotaError('over quota', { cause: new RangeError('inner') });
    const copy = deserializeError(structuredClone(serializeError(original)));
    expect(copy).toBeInstanceOf(Error);
    expect(copy).toMatchObject({ name: 'QuotaError', message: 'over quota', code: 'E_QUOTA', limit: 10, stack: original.stack });
    expect((copy as unknown as { hook: string }).hook).toContain('=>');
    expect(copy.cause).toMatchObject({ name: 'RangeError', message: 'inner' });
    expect(Object.keys(copy)).not.toContain('name');
  });

  it('turns a thrown non-error into an Error and re-creates SoftTimeLimitExceeded as its class', () => {
    expect(deserializeError(serializeError('plain string'))).toMatchObject({ name: 'Error', message: 'plain string' });
    const soft = deserializeError(serializeError(new SoftTimeLimitExceeded('soft')));
    expect(soft).toBeInstanceOf(SoftTimeLimitExceeded);
    expect(soft).toMatchObject({ code: 'CQ_BILLIARD_SOFT_TIME_LIMIT', message: 'soft' });
  });
});
