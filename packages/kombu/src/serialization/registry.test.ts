import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { PYTHON as PY, requirePython } from '@cq/tooling/testing';
import { ContentDisallowedError, DecodeError, EncodeError, SerializationError } from '../errors.js';
import { dumps, getSerializer, loads, prepareAccept, registerSerializer } from './registry.js';

// python3-msgpack / python3-yaml are Debian packages: only /usr/bin/python3 has them.

function py(code: string, stdin: string | Buffer = ''): Buffer {
  return execFileSync(PY, ['-c', code], { input: stdin });
}

const sample = {
  int: 42,
  neg: -7,
  float: 2.5,
  big: 2n ** 60n,
  text: 'héllo ☃',
  flag: true,
  none: null,
  list: [1, 'two', [3]],
  nested: { a: { b: [] } },
};

describe('built-in serializers', () => {
  it.each(['json', 'msgpack', 'yaml'])('%s round-trips through dumps/loads', (name) => {
    const { body, contentType, contentEncoding } = dumps(sample, name);
    expect(contentType).toBe(getSerializer(name).contentType);
    expect(loads(body, contentType, contentEncoding)).toEqual(sample);
  });

  it('declares kombu content types and encodings', () => {
    expect(dumps(1).contentType).toBe('application/json');
    expect(dumps(1).contentEncoding).toBe('utf-8');
    expect(dumps(1, 'msgpack')).toMatchObject({ contentType: 'application/x-msgpack', contentEncoding: 'binary' });
    expect(dumps(1, 'yaml')).toMatchObject({ contentType: 'application/x-yaml', contentEncoding: 'utf-8' });
  });

  it('json writes kombu JSON', () => {
    expect(dumps({ n: NaN, b: 1n }).body.toString()).toBe('{"n":NaN,"b":1}');
  });

  it('msgpack keeps bytes as bytes and maps as plain objects', () => {
    const value = { bin: Buffer.from([0, 1, 255]), map: new Map([['k', 1]]), skip: undefined, arr: [undefined] };
    const { body } = dumps(value, 'msgpack');
    expect(loads(body, 'application/x-msgpack', 'binary')).toEqual({ bin: Buffer.from([0, 1, 255]), map: { k: 1 }, arr: [null] });
  });

  it('yaml speaks YAML 1.1: yes/no strings stay strings, binary and timestamps round-trip', () => {
    const value = { answer: 'yes', off: 'off', bin: Buffer.from([0, 255]), when: new Date(Date.UTC(2024, 0, 2)) };
    const { body } = dumps(value, 'yaml');
    expect(body.toString()).toContain('"yes"');
    expect(loads(body, 'application/x-yaml', 'utf-8')).toEqual(value);
  });

  it('yaml refuses unsafe tags and malformed documents like safe_load', () => {
    const load = (text: string): unknown => loads(Buffer.from(text), 'application/x-yaml', 'utf-8');
    expect(() => load('a: !!python/object:os.system {}\n')).toThrow(DecodeError);
    expect(() => load('a: [1, 2\n')).toThrow(DecodeError);
    expect(() => load('a: 1\n---\nb: 2\n')).toThrow(DecodeError);
    expect(load('a: 1\na: 2\n')).toEqual({ a: 2 });
  });

  it('raw passes bytes through and writes strings as utf-8', () => {
    expect(dumps(Buffer.from([1, 2]), 'raw')).toEqual({
      body: Buffer.from([1, 2]),
      contentType: 'application/data',
      contentEncoding: 'binary',
    });
    expect(dumps('é', 'raw')).toEqual({ body: Buffer.from('é'), contentType: 'application/data', contentEncoding: 'utf-8' });
    expect(() => dumps({}, 'raw')).toThrow(EncodeError);
  });

  it('pickle is known by name but cannot be used', () => {
    expect(prepareAccept(['pickle'])).toEqual(new Set(['application/x-python-serialize']));
    expect(() => dumps(1, 'pickle')).toThrow(EncodeError);
    expect(() => loads(Buffer.from([0x80]), 'application/x-python-serialize', 'binary')).toThrow(DecodeError);
  });
});

describe('registry', () => {
  it('finds serializers by name, content type and alias, case-insensitively', () => {
    expect(getSerializer('json').name).toBe('json');
    expect(getSerializer('application/x-msgpack').name).toBe('msgpack');
    expect(getSerializer('YAML').name).toBe('yaml');
  });

  it('throws SerializationError naming the registered serializers', () => {
    expect(() => getSerializer('bson')).toThrow(SerializationError);
    expect(() => getSerializer('bson')).toThrow(/registered: .*json.*msgpack.*yaml/);
    expect(() => dumps(1, 'bson')).toThrow(SerializationError);
  });

  it('registers a custom serializer with aliases, used by dumps and loads', () => {
    registerSerializer(
      {
        name: 'reverse-test',
        contentType: 'application/x-reverse-test',
        contentEncoding: 'utf-8',
        encode: (value) => Buffer.from(String(value).split('').reverse().join('')),
        decode: (body) => body.toString().split('').reverse().join(''),
      },
      ['rev-test'],
    );
    const encoded = dumps('abc', 'rev-test');
    expect(encoded).toEqual({ body: Buffer.from('cba'), contentType: 'application/x-reverse-test', contentEncoding: 'utf-8' });
    expect(loads(encoded.body, encoded.contentType, encoded.contentEncoding, ['reverse-test'])).toBe('abc');
  });

  it('wraps encoder failures in EncodeError with the cause', () => {
    const error = (() => {
      try {
        dumps({ huge: 2n ** 70n }, 'msgpack');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as EncodeError).cause).toBeInstanceOf(Error);
    expect(() => dumps(new Set([1]))).toThrow(EncodeError);
  });
});

describe('prepareAccept', () => {
  it('maps names to content types and keeps content types', () => {
    expect(prepareAccept(['json', 'application/x-yaml', 'MSGPACK'])).toEqual(
      new Set(['application/json', 'application/x-yaml', 'application/x-msgpack']),
    );
    expect(prepareAccept(null)).toBeNull();
    expect(prepareAccept(undefined)).toBeNull();
    expect(prepareAccept([])).toEqual(new Set());
  });

  it('throws SerializationError for an unknown name', () => {
    expect(() => prepareAccept(['json', 'nope'])).toThrow(SerializationError);
  });
});

describe('loads', () => {
  const json = Buffer.from('{"a": 1}');

  it('enforces accept by name or content type', () => {
    expect(loads(json, 'application/json', 'utf-8', ['json'])).toEqual({ a: 1 });
    expect(loads(json, 'application/json', 'utf-8', ['application/json'])).toEqual({ a: 1 });
    expect(() => loads(json, 'application/json', 'utf-8', ['msgpack'])).toThrow(ContentDisallowedError);
    expect(() => loads(json, 'application/json', 'utf-8', [])).toThrow(ContentDisallowedError);
    const yaml = dumps({ a: 1 }, 'yaml');
    expect(() => loads(yaml.body, yaml.contentType, yaml.contentEncoding, ['json'])).toThrow(/untrusted content of type application\/x-yaml/);
  });

  it('always trusts application/data and application/text, returning bytes or text', () => {
    expect(loads(Buffer.from([1, 2]), 'application/data', 'binary', ['json'])).toEqual(Buffer.from([1, 2]));
    expect(loads(Buffer.from('hé'), 'application/data', 'utf-8', ['json'])).toBe('hé');
    expect(loads(Buffer.from('hi'), 'application/text', 'utf-8', ['json'])).toBe('hi');
    expect(() => loads(Buffer.from('hi'), 'text/plain', 'utf-8', ['json'])).toThrow(ContentDisallowedError);
    expect(loads(Buffer.from('hi'), 'text/plain', 'utf-8', ['json', 'text/plain'])).toBe('hi');
  });

  it('treats a missing content type as application/data and returns empty bodies as-is', () => {
    expect(loads(Buffer.from([9]), '', 'binary', ['json'])).toEqual(Buffer.from([9]));
    expect(loads(Buffer.alloc(0), 'application/json', 'utf-8')).toEqual(Buffer.alloc(0));
  });

  it('returns unknown content types raw when accept allows everything', () => {
    expect(loads(Buffer.from('<x/>'), 'application/xml', 'utf-8')).toBe('<x/>');
    expect(loads(Buffer.from([0xff]), 'application/octet-stream', 'binary')).toEqual(Buffer.from([0xff]));
  });

  it('throws DecodeError for bad bodies', () => {
    const err = (() => {
      try {
        loads(Buffer.from('{"a": '), 'application/json', 'utf-8');
      } catch (e) {
        return e as DecodeError;
      }
    })();
    expect(err).toBeInstanceOf(DecodeError);
    expect(err?.code).toBe('CQ_KOMBU_DECODE');
    expect(() => loads(Buffer.from([0x22, 0xff, 0x22]), 'application/json', 'utf-8')).toThrow(/not valid UTF-8/);
    expect(() => loads(Buffer.from([0x92, 0x01]), 'application/x-msgpack', 'binary')).toThrow(DecodeError);
    expect(() => loads(Buffer.from([0x01, 0x02]), 'application/x-msgpack', 'binary')).toThrow(DecodeError);
    expect(() => loads(Buffer.from([0xff]), 'text/plain', 'utf-8')).toThrow(DecodeError);
  });
});

describe('msgpack against Python msgpack (/usr/bin/python3)', () => {
  beforeAll(() => { requirePython(['msgpack']); });

  it('reads packb(use_bin_type=True) output', () => {
    const hex = py(
      'import msgpack; print(msgpack.packb({"s": "héllo", "b": b"\\x00\\xff", "big": 2**63 + 5, "neg": -(2**40),' +
        ' "f": 1.5, "l": [1, None, True], "d": {"x": {}}}, use_bin_type=True).hex())',
    ).toString().trim();
    expect(loads(Buffer.from(hex, 'hex'), 'application/x-msgpack', 'binary')).toEqual({
      s: 'héllo',
      b: Buffer.from([0, 255]),
      big: 2n ** 63n + 5n,
      neg: -(2 ** 40),
      f: 1.5,
      l: [1, null, true],
      d: { x: {} },
    });
  });

  it('writes what unpackb(raw=False) reads', () => {
    const { body } = dumps({ s: 'héllo', b: Buffer.from([0, 255]), big: 2n ** 62n, f: 1.5, l: [1, null, true], skip: undefined }, 'msgpack');
    const out = py(
      [
        'import msgpack, sys',
        'd = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)',
        'assert d == {"s": "héllo", "b": b"\\x00\\xff", "big": 2**62, "f": 1.5, "l": [1, None, True]}, d',
        'print("ok")',
      ].join('\n'),
      body,
    );
    expect(out.toString().trim()).toBe('ok');
  });
});

describe('yaml against PyYAML (/usr/bin/python3)', () => {
  beforeAll(() => { requirePython(['yaml']); });

  it('reads safe_dump output', () => {
    const text = py(
      'import yaml, datetime as dt; print(yaml.safe_dump({"s": "héllo", "yes": "yes", "on": True, "big": 2**70,' +
        ' "b": b"\\x00\\xff", "when": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc),' +
        ' "l": [1, None, 2.5, float("nan")], "d": {"x": {}}}, allow_unicode=True))',
    );
    expect(loads(text, 'application/x-yaml', 'utf-8')).toEqual({
      s: 'héllo',
      yes: 'yes',
      on: true,
      big: 2n ** 70n,
      b: Buffer.from([0, 255]),
      when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
      l: [1, null, 2.5, NaN],
      d: { x: {} },
    });
  });

  it('writes what safe_load reads', () => {
    const { body } = dumps(
      { s: 'héllo', yes: 'yes', n: 'null', octal: '0777', big: 2n ** 70n, b: Buffer.from([0, 255]), when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), m: new Map([['k', [1, 2]]]) },
      'yaml',
    );
    const out = py(
      [
        'import yaml, sys, datetime as dt',
        'd = yaml.safe_load(sys.stdin.buffer.read())',
        'when = d.pop("when")',
        'assert when.replace(tzinfo=None) == dt.datetime(2024, 1, 2, 3, 4, 5, 678000), when',
        'assert d == {"s": "héllo", "yes": "yes", "n": "null", "octal": "0777", "big": 2**70, "b": b"\\x00\\xff", "m": {"k": [1, 2]}}, d',
        'print("ok")',
      ].join('\n'),
      body,
    );
    expect(out.toString().trim()).toBe('ok');
  });
});
