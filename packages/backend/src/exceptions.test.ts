import { describe, expect, it } from 'vitest';
import { InvalidExceptionInfoError } from './errors.js';
import { RemoteTaskError, errorFromExceptionInfo, isExceptionInfo, prepareException } from './exceptions.js';

describe('prepareException', () => {
  it('sends JS built-ins under Python built-in names with exc_module "builtins"', () => {
    expect(prepareException(new Error('boom'))).toEqual({ exc_type: 'Exception', exc_message: ['boom'], exc_module: 'builtins' });
    expect(prepareException(new TypeError('t'))).toEqual({ exc_type: 'TypeError', exc_message: ['t'], exc_module: 'builtins' });
    expect(prepareException(new RangeError('r')).exc_type).toBe('ValueError');
    expect(prepareException(new URIError('u')).exc_type).toBe('ValueError');
    expect(prepareException(new ReferenceError('x is not defined')).exc_type).toBe('NameError');
    expect(prepareException(new SyntaxError('s')).exc_module).toBe('builtins');
    expect(prepareException(new Error('')).exc_message).toEqual([]);
  });

  it('keeps other names, with a module only when the error names one', () => {
    class QuotaError extends Error {}
    expect(prepareException(new QuotaError('q'))).toEqual({ exc_type: 'QuotaError', exc_message: ['q'], exc_module: null });
    const named = Object.assign(new Error('n'), { name: 'KeyError' });
    expect(prepareException(named)).toEqual({ exc_type: 'KeyError', exc_message: ['n'], exc_module: 'builtins' });
    const withModule = Object.assign(new Error('m'), { name: 'Reject', module: 'celery.exceptions' });
    expect(prepareException(withModule).exc_module).toBe('celery.exceptions');
  });

  it('uses an args array when the error has one, replacing unserializable items by text', () => {
    const err = Object.assign(new Error('ignored'), { args: ['a', 1, { k: [true] }, new Set([1])] });
    expect(prepareException(err).exc_message).toEqual(['a', 1, { k: [true] }, '[object Set]']);
  });

  it('wraps thrown non-errors in a builtins Exception', () => {
    expect(prepareException('plain string')).toEqual({ exc_type: 'Exception', exc_message: ['plain string'], exc_module: 'builtins' });
    expect(prepareException(undefined).exc_message).toEqual([null]);
  });

  it('sends a RemoteTaskError back exactly as received', () => {
    const info = { exc_type: 'MyErr', exc_message: ['x', 2], exc_module: 'proj.errors' };
    expect(prepareException(errorFromExceptionInfo(info))).toEqual(info);
  });
});

describe('errorFromExceptionInfo', () => {
  it('builds a RemoteTaskError named after exc_type', () => {
    const err = errorFromExceptionInfo({ exc_type: 'ValueError', exc_message: ['bad value'], exc_module: 'builtins' }, 'Traceback…');
    expect(err).toBeInstanceOf(RemoteTaskError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ValueError');
    expect(err.message).toBe('bad value');
    expect(err.code).toBe('CQ_BACKEND_REMOTE_TASK_ERROR');
    expect([err.excType, err.excModule, err.excMessage, err.traceback]).toEqual(['ValueError', 'builtins', ['bad value'], 'Traceback…']);
  });

  it('joins several args and accepts a bare exc_message', () => {
    expect(errorFromExceptionInfo({ exc_type: 'E', exc_message: ['a', 2, { b: 1 }] }).message).toBe('a, 2, {"b":1}');
    const bare = errorFromExceptionInfo({ exc_type: 'E', exc_message: 'just text', exc_module: null });
    expect(bare.message).toBe('just text');
    expect(bare.excMessage).toEqual(['just text']);
    expect(errorFromExceptionInfo({ exc_type: 'E' }).message).toBe('');
  });

  it('refuses a dict without exc_type', () => {
    expect(() => errorFromExceptionInfo({ exc_message: ['x'] })).toThrow(InvalidExceptionInfoError);
    expect(isExceptionInfo({ exc_type: 'X' })).toBe(true);
    expect(isExceptionInfo('X')).toBe(false);
  });
});
