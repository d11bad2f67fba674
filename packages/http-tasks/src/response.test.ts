import { describe, expect, it } from 'vitest';
import { InvalidResponseError, RemoteExecuteError, UnknownStatusError } from './errors.js';
import { interpretBody } from './response.js';

describe('interpretBody', () => {
  it('auto: unwraps Celery 3\'s envelope, returns other JSON as it is, null for an empty body', () => {
    expect(interpretBody('{"status": "success", "retval": 300}', 'auto')).toBe(300);
    expect(() => interpretBody('{"status": "failure", "reason": "Invalid moon alignment."}', 'auto')).toThrow(new RemoteExecuteError('Invalid moon alignment.'));
    expect(interpretBody('{"status": "success"}', 'auto')).toEqual({ status: 'success' });
    expect(interpretBody('{"status": "pending", "retval": 1}', 'auto')).toEqual({ status: 'pending', retval: 1 });
    expect(interpretBody('[1, 2]', 'auto')).toEqual([1, 2]);
    expect(interpretBody('', 'auto')).toBeNull();
  });

  it('envelope: Celery 3\'s extract_response', () => {
    expect(interpretBody('{"status": "success", "retval": {"a": 1}}', 'envelope')).toEqual({ a: 1 });
    expect(() => interpretBody('{"status": "failure", "reason": "no"}', 'envelope')).toThrow(RemoteExecuteError);
    expect(() => interpretBody('{"status": "weird"}', 'envelope')).toThrow(new UnknownStatusError('weird'));
    expect(() => interpretBody('[1]', 'envelope')).toThrow(UnknownStatusError);
    expect(() => interpretBody('  ', 'envelope')).toThrow(new InvalidResponseError('Empty response'));
  });

  it('json: never unwraps; bad JSON is InvalidResponseError in every mode, with its cause', () => {
    expect(interpretBody('{"status": "success", "retval": 1}', 'json')).toEqual({ status: 'success', retval: 1 });
    for (const mode of ['auto', 'envelope', 'json'] as const) {
      const error = (() => {
        try {
          interpretBody('<html>', mode);
        } catch (e) {
          return e as InvalidResponseError;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error!.code).toBe('CQ_HTTP_TASK_INVALID_RESPONSE');
      expect(error!.cause).toBeInstanceOf(SyntaxError);
    }
  });

  it('RemoteExecuteError keeps a non-string reason', () => {
    const error = new RemoteExecuteError({ field: 'amount' });
    expect(error.message).toBe('{"field":"amount"}');
    expect(error.reason).toEqual({ field: 'amount' });
    expect(new RemoteExecuteError(null).message).toBe('null');
  });
});
