import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { requirePython } from '@cq/tooling/testing';
import { DecodeError, EncodeError } from '../errors.js';
import { kombuJson } from './json.js';

// Debian's python3 ships kombu 5.2.4 (plain-string dates, no envelopes): python3-kombu, from python3-celery.

/** Run a Python snippet; `stdin` is passed as input. Throws (failing the test) on a Python error. */
function py(code: string, stdin = '', python = requirePython()): string {
  return execFileSync(python, ['-c', code], { input: stdin, encoding: 'utf8' });
}

describe('kombuJson.parse', () => {
  it('parses plain JSON like JSON.parse', () => {
    const text = '{"a": [1, 2.5, "x", true, false, null], "b": {}, "c": [], "d": "\\u00e9\\n"}';
    expect(kombuJson.parse(text)).toEqual(JSON.parse(text));
  });

  it('accepts bare NaN, Infinity and -Infinity', () => {
    expect(kombuJson.parse('{"result": NaN, "list": [Infinity, -Infinity, 1]}')).toEqual({
      result: NaN,
      list: [Infinity, -Infinity, 1],
    });
    expect(kombuJson.parse('NaN')).toBeNaN();
  });

  it('returns integers beyond ±2^53 as exact bigint and others as numbers', () => {
    const parsed = kombuJson.parse(
      '[9007199254740992, 9007199254740993, -9007199254740993, 123456789012345678901234567890, 1234567890123456.5, 1e400]',
    );
    expect(parsed).toEqual([
      9007199254740992,
      9007199254740993n,
      -9007199254740993n,
      123456789012345678901234567890n,
      1234567890123456.5,
      Infinity,
    ]);
  });

  it('keeps __proto__ as an own key, never as the prototype', () => {
    const parsed = kombuJson.parse('{"__proto__": {"polluted": 1}, "n": NaN}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['', 'empty text'],
    ['{"a": 1,}', 'trailing comma'],
    ['[1, 2', 'unterminated array'],
    ['{"a" 1}', 'missing colon'],
    ['"abc', 'unterminated string'],
    ['[NaN, nan]', 'lower-case nan'],
    ['[Infinity] x', 'trailing data'],
    ['["a\u0001b", NaN]', 'control character'],
    ['[01, NaN]', 'leading zero'],
  ])('rejects %j (%s) with DecodeError', (text) => {
    expect(() => kombuJson.parse(text)).toThrow(DecodeError);
  });

  it('decodes escapes on the tolerant path too', () => {
    expect(kombuJson.parse('["a\\"b\\\\c\\u00e9\\ud83d\\ude00", NaN]')).toEqual(['a"b\\cé😀', NaN]);
  });
});

describe('kombuJson envelopes (kombu ≥ 5.3)', () => {
  const envelope = (type: string, value: unknown): string => JSON.stringify({ __type__: type, __value__: value });

  it('decodes every kombu type', () => {
    const text = `{"dt": ${envelope('datetime', '2024-01-02T03:04:05.678901+00:00')},
      "naive": ${envelope('datetime', '2024-01-02T03:04:05')},
      "date": ${envelope('date', '2024-01-02')}, "time": ${envelope('time', '03:04:05')},
      "dec": ${envelope('decimal', '1.10')},
      "uuid": ${envelope('uuid', { hex: '12345678123456781234567812345678' })},
      "uuid530": ${envelope('uuid', { hex: 'ABCDEF00123456781234567812345678', version: 4 })},
      "bytes": ${envelope('bytes', 'héllo')}, "b64": ${envelope('base64', 'AP8B')}}`;
    expect(kombuJson.parse(text)).toEqual({
      dt: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
      naive: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      date: '2024-01-02',
      time: '03:04:05',
      dec: '1.10',
      uuid: '12345678-1234-5678-1234-567812345678',
      uuid530: 'abcdef00-1234-5678-1234-567812345678',
      bytes: Buffer.from('héllo', 'utf8'),
      b64: Buffer.from([0, 255, 1]),
    });
  });

  it('decodes envelopes nested in arrays and on the tolerant path', () => {
    expect(kombuJson.parse(`[NaN, [${envelope('decimal', '2.5')}]]`)).toEqual([NaN, ['2.5']]);
  });

  it('recognises keys written with \\u escapes', () => {
    expect(kombuJson.parse('{"\\u005f_type__": "decimal", "__value__": "3"}')).toBe('3');
  });

  it('leaves objects with other keys alone', () => {
    const plain = { __type__: 'datetime', __value__: 'x', extra: 1 };
    expect(kombuJson.parse(JSON.stringify(plain))).toEqual(plain);
  });

  it('throws DecodeError for an unknown __type__ or a malformed value', () => {
    expect(() => kombuJson.parse(envelope('whatever', 1))).toThrow(/unsupported __type__/);
    expect(() => kombuJson.parse(envelope('uuid', 'not-a-dict'))).toThrow(DecodeError);
    expect(() => kombuJson.parse(envelope('datetime', 'not a date'))).toThrow(DecodeError);
    expect(() => kombuJson.parse(envelope('bytes', 5))).toThrow(DecodeError);
  });
});

describe('kombuJson.stringify', () => {
  it('writes compact JSON', () => {
    expect(kombuJson.stringify({ a: [1, 'x', true, null], b: { c: 2.5 } })).toBe('{"a":[1,"x",true,null],"b":{"c":2.5}}');
  });

  it('writes bigint as digits and NaN/Infinity as bare tokens', () => {
    expect(kombuJson.stringify([2n ** 64n, NaN, Infinity, -Infinity, -0])).toBe(
      '[18446744073709551616,NaN,Infinity,-Infinity,0]',
    );
  });

  it('writes Dates in Python isoformat style, without an envelope', () => {
    expect(kombuJson.stringify({ eta: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) })).toBe(
      '{"eta":"2024-01-02T03:04:05.006000+00:00"}',
    );
  });

  it('writes bytes as bytes/base64 envelopes', () => {
    expect(kombuJson.stringify([Buffer.from('hi'), new Uint8Array([0xff, 0])])).toBe(
      '[{"__type__":"bytes","__value__":"hi"},{"__type__":"base64","__value__":"/wA="}]',
    );
  });

  it('round-trips through parse', () => {
    const value = { big: 2n ** 70n, nan: NaN, bytes: Buffer.from([1, 2, 255]), when: new Date(Date.UTC(2020, 1, 29)) };
    expect(kombuJson.parse(kombuJson.stringify(value))).toEqual({ ...value, when: '2020-02-29T00:00:00.000000+00:00' });
  });

  it('follows JSON.stringify for undefined, toJSON and boxed primitives', () => {
    const withToJSON = { toJSON: (key: string) => ({ key, big: 1n }) };
    expect(kombuJson.stringify({ a: undefined, b: [undefined, 1], c: withToJSON, d: new String('s') })).toBe(
      '{"b":[null,1],"c":{"key":"c","big":1},"d":"s"}',
    );
    expect(kombuJson.stringify(undefined)).toBe('null');
  });

  it('writes a Map as an object with stringified keys', () => {
    expect(kombuJson.stringify(new Map<unknown, unknown>([['a', 1], [2, 'b'], [true, null], [null, NaN]]))).toBe(
      '{"a":1,"2":"b","true":null,"null":NaN}',
    );
  });

  it('throws EncodeError with the path for unencodable values', () => {
    expect(() => kombuJson.stringify({ a: [1, new Set([1])] })).toThrow(/at a\.1: a Set is not JSON serializable/);
    expect(() => kombuJson.stringify({ f: () => 1 })).toThrow(EncodeError);
    expect(() => kombuJson.stringify({ d: new Date(Number.NaN) })).toThrow(EncodeError);
    expect(() => kombuJson.stringify(new Map([[{}, 1]]))).toThrow(EncodeError);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => kombuJson.stringify(cyclic)).toThrow(/circular reference/);
  });

  it('refuses user objects that Python would read as envelopes', () => {
    expect(() => kombuJson.stringify({ x: { __type__: 'decimal', __value__: '1' } })).toThrow(/kombu envelope/);
    expect(() => kombuJson.stringify({ __type__: 1, __value__: 2, skipped: undefined })).toThrow(EncodeError);
    expect(() => kombuJson.stringify(new Map([['__type__', 1], ['__value__', 2]]))).toThrow(EncodeError);
    expect(kombuJson.stringify({ __type__: 1, __value__: 2, other: 3 })).toBe('{"__type__":1,"__value__":2,"other":3}');
  });

  it('matches JSON.stringify on plain data', () => {
    const value = { s: 'é\u2028"\\\ud800', n: [0, -1.5, 1e21, 5e-7], o: { nested: [{}, []] }, t: true };
    expect(kombuJson.stringify(value)).toBe(JSON.stringify(value));
  });
});

describe('kombuJson against Python json', () => {
  beforeAll(() => { requirePython(); });

  it('parses what Python json.dumps writes', () => {
    const out = py(
      [
        'import json',
        'print(json.dumps({"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),',
        '  "big": 2**64 + 1, "neg": -(2**70), "edge": 2**53, "float": 0.1 + 0.2, "tiny": 5e-324,',
        '  "text": "héllo ☃ 😀 \\"q\\" \\\\ \\n", "nested": {"a": [1, [2, [3, {"b": None}]]], "t": (True, False)},',
        '  "empty": [{}, []]}))',
      ].join('\n'),
    );
    expect(out).toContain('NaN'); // really Python's bare token
    expect(kombuJson.parse(out)).toEqual({
      nan: NaN,
      inf: Infinity,
      ninf: -Infinity,
      big: 2n ** 64n + 1n,
      neg: -(2n ** 70n),
      edge: 2 ** 53,
      float: 0.1 + 0.2,
      tiny: 5e-324,
      text: 'héllo ☃ 😀 "q" \\ \n',
      nested: { a: [1, [2, [3, { b: null }]]], t: [true, false] },
      empty: [{}, []],
    });
  });

  it('writes what Python json.loads reads back to the same values', () => {
    const text = kombuJson.stringify({
      nan: NaN,
      inf: -Infinity,
      big: 2n ** 64n + 1n,
      text: 'héllo ☃ 😀 "q"',
      when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
      bytes: Buffer.from('abc'),
      list: [1, null, undefined, 2.5],
    });
    const out = py(
      [
        'import json, math, sys, datetime as dt',
        'd = json.loads(sys.stdin.read())',
        'assert math.isnan(d["nan"]) and d["inf"] == float("-inf")',
        'assert d["big"] == 2**64 + 1 and isinstance(d["big"], int)',
        'assert d["text"] == "héllo ☃ 😀 \\"q\\"", d["text"]',
        'assert dt.datetime.fromisoformat(d["when"]) == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)',
        'assert d["bytes"] == {"__type__": "bytes", "__value__": "abc"}',
        'assert d["list"] == [1, None, None, 2.5]',
        'print("ok")',
      ].join('\n'),
      text,
    );
    expect(out.trim()).toBe('ok');
  });
});

describe('kombuJson against kombu 5.2 (Debian python3)', () => {
  beforeAll(() => { requirePython(['kombu']); });

  it('reads kombu 5.2 output and kombu 5.2 reads ours', () => {
    const out = py(
      [
        'import sys, uuid, decimal, datetime as dt',
        'from kombu.utils import json',
        'ours = json.loads(sys.stdin.read())',
        'assert ours["big"] == 2**60 and ours["when"].startswith("2024-01-02T03:04:05.678000")',
        'print(json.dumps({"u": uuid.UUID(int=1), "d": decimal.Decimal("1.10"),',
        '  "t": dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)}))',
      ].join('\n'),
      kombuJson.stringify({ big: 2n ** 60n, when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) }),
      requirePython(['kombu']),
    );
    expect(kombuJson.parse(out)).toEqual({
      u: '00000000-0000-0000-0000-000000000001',
      d: '1.10',
      t: '2024-01-02T03:04:05.678901Z',
    });
  });
});
