import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pythonRepr, reprFloat } from './repr.js';
import { argsRepr, kwargsRepr, safeRepr } from './saferepr.js';

describe('pythonRepr', () => {
  it('prints scalars as Python does', () => {
    expect(pythonRepr(null)).toBe('None');
    expect(pythonRepr(undefined)).toBe('None');
    expect(pythonRepr(true)).toBe('True');
    expect(pythonRepr(false)).toBe('False');
    expect(pythonRepr(3)).toBe('3');
    expect(pythonRepr(-0)).toBe('0');
    expect(pythonRepr(2 ** 60)).toBe('1152921504606846976');
    expect(pythonRepr(2n ** 64n + 1n)).toBe('18446744073709551617');
    expect(pythonRepr(1.5)).toBe('1.5');
    expect(pythonRepr(Number.POSITIVE_INFINITY)).toBe('inf');
    expect(pythonRepr(Number.NaN)).toBe('nan');
  });

  it('formats floats with the shortest digits and Python exponent rules', () => {
    expect(reprFloat(1e-5)).toBe('1e-05');
    expect(reprFloat(0.0001)).toBe('0.0001');
    expect(reprFloat(1.25e-7)).toBe('1.25e-07');
    expect(reprFloat(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(reprFloat(1e16)).toBe('1e+16');
    expect(reprFloat(1e15)).toBe('1000000000000000.0');
    expect(reprFloat(123456.789)).toBe('123456.789');
    expect(reprFloat(2.5e-300)).toBe('2.5e-300');
    expect(reprFloat(-1.5e300)).toBe('-1.5e+300');
    expect(reprFloat(1)).toBe('1.0');
  });

  it('quotes strings like repr(str)', () => {
    expect(pythonRepr('plain')).toBe("'plain'");
    expect(pythonRepr("it's")).toBe('"it\'s"');
    expect(pythonRepr('say "hi"')).toBe('\'say "hi"\'');
    expect(pythonRepr('both \' and "')).toBe("'both \\' and \"'");
    expect(pythonRepr('back\\slash')).toBe("'back\\\\slash'");
    expect(pythonRepr('line\nbreak\ttab\r')).toBe("'line\\nbreak\\ttab\\r'");
    expect(pythonRepr('bell\x07 del\x7f')).toBe("'bell\\x07 del\\x7f'");
    expect(pythonRepr('nbsp\u00a0zwsp\u200b')).toBe("'nbsp\\xa0zwsp\\u200b'");
    expect(pythonRepr('h\u00e9 \u65e5 \u{1F389}')).toBe("'h\u00e9 \u65e5 \u{1F389}'");
    expect(pythonRepr('\u{E0001}')).toBe("'\\U000e0001'");
  });

  it('prints containers, bytes and dates', () => {
    expect(pythonRepr([1, 'a', null, [true]])).toBe("[1, 'a', None, [True]]");
    expect(pythonRepr({ k: 'v', n: { x: 1.5 } })).toBe("{'k': 'v', 'n': {'x': 1.5}}");
    expect(pythonRepr(new Map<unknown, unknown>([[1, 'one']]))).toBe("{1: 'one'}");
    expect(pythonRepr(new Set([1, 2]))).toBe('{1, 2}');
    expect(pythonRepr(new Set())).toBe('set()');
    expect(pythonRepr(new Uint8Array([0x61, 0x27, 0x00, 0xff]))).toBe('b"a\'\\x00\\xff"');
    expect(pythonRepr(new Date('2024-01-02T03:04:05.678Z')))
      .toBe('datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)');
    expect(pythonRepr(new Date('2024-01-02T03:04:00Z')))
      .toBe('datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)');
    const loop: unknown[] = [1];
    loop.push(loop);
    expect(pythonRepr(loop)).toBe('[1, [...]]');
  });

  it('truncates at maxLength code points', () => {
    expect(pythonRepr('abcdef', 4)).toBe("'abc...");
    expect(pythonRepr('ab', 4)).toBe("'ab'");
  });
});

describe('safeRepr / argsRepr / kwargsRepr (Celery saferepr)', () => {
  it('prints args as a tuple', () => {
    expect(argsRepr([])).toBe('()');
    expect(argsRepr([2])).toBe('(2,)');
    expect(argsRepr([2, 3])).toBe('(2, 3)');
    expect(kwargsRepr({})).toBe('{}');
    expect(kwargsRepr({ z: 1, s: null })).toBe("{'z': 1, 's': None}");
  });

  it('quotes like saferepr, not repr', () => {
    expect(argsRepr(["it's", 'a\nb', 'back\\slash'])).toBe("('it\\'s', 'a\nb', 'back\\slash')");
  });

  it('cuts nesting at three levels', () => {
    expect(argsRepr(['x', [1, [2, [3, [4]]]]])).toBe("('x', [1, [2, [...]]])");
    expect(kwargsRepr({ a: { b: { c: 1 } }, l: [[1]] })).toBe("{'a': {'b': {'c': 1}}, 'l': [[1]]}");
    expect(kwargsRepr({ a: { b: { c: { d: 1 } } }, l: [[[1]]] })).toBe("{'a': {'b': {'c': {...}}}, 'l': [[[...]]]}");
    expect(argsRepr([[[[1]]]])).toBe('([[[...]]],)');
    expect(safeRepr([[[[[1]]]]], null, 0)).toBe('[[[[[1]]]]]');
  });

  it('spends the budget token by token and closes open containers', () => {
    // Budget 10: '(' 9, '[' 8, '1' 7, ', ' 5, '2' 4, ', ' 2, '3' 1, ', ' -1, then '4' is dropped
    // (Celery 5.2.6 prints exactly this, doubled comma included).
    expect(argsRepr([[1, 2, 3, 4, 5]], 10)).toBe('([1, 2, 3, , ...],)');
    // A string longer than the budget is cut back to its last space.
    expect(argsRepr(['aaa bbb ccc'], 8)).toBe("('aaa...', ...");
    expect(kwargsRepr({ key: 'value' }, 3)).toBe("{'ke...', ...}");
  });

  it('writes flat args and kwargs (strings, numbers, booleans, None) as the token stream does', () => {
    // argsRepr/kwargsRepr take a shortcut for flat values; safeRepr of the same list/dict goes through
    // the token stream: the two must agree (a budget too small for the whole repr: the test above).
    const scalar = fc.oneof(fc.string({ unit: 'grapheme' }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    fc.assert(fc.property(fc.array(scalar, { maxLength: 6 }), (args) => {
      const inner = safeRepr(args).slice(1, -1);
      expect(argsRepr(args, null)).toBe(`(${inner}${args.length === 1 ? ',)' : ')'}`);
    }));
    fc.assert(fc.property(fc.dictionary(fc.string(), scalar, { maxKeys: 6 }), (kwargs) => {
      expect(kwargsRepr(kwargs, null)).toBe(safeRepr(kwargs));
    }));
  });
});
