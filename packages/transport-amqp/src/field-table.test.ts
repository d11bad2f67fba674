import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requirePython } from '@cq/tooling/testing';
import { int64TagSupported } from './amqplib.js';
import { fromWireValue, toWireTable, translatePyAmqpTags } from './field-table.js';

const require = createRequire(import.meta.url);
const codec = require(join(dirname(require.resolve('amqplib')), 'lib', 'codec.js')) as {
  encodeTable(buf: Buffer, table: unknown, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
};

const encode = (table: Record<string, unknown>): Buffer => {
  const buf = Buffer.alloc(4096);
  const size = codec.encodeTable(buf, table, 0);
  return buf.subarray(0, size);
};

/** Decodes a length-prefixed field table with Debian py-amqp and returns it as JSON. */
const pyLoads = (table: Buffer): unknown => JSON.parse(execFileSync(requirePython(['amqp']), ['-c', [
  'import sys, json, binascii',
  'from amqp.serialization import loads',
  'print(json.dumps(loads("F", binascii.unhexlify(sys.argv[1]), 0)[0][0]))',
].join('\n'), table.toString('hex')]).toString());

const pyDumps = (expr: string): Buffer => Buffer.from(execFileSync(requirePython(['amqp']), ['-c', [
  'import binascii', 'from amqp.serialization import dumps',
  `print(binascii.hexlify(dumps("F", [${expr}])).decode())`,
].join('\n')]).toString().trim(), 'hex');

describe('header tables', () => {
  const headers = { small: 5, mid: 300, big: 70000, neg: -1, huge: 2 ** 40, negHuge: -(2 ** 40), ratio: 0.5, flag: true, s: 'ünï', nothing: null, timelimit: [null, 10], stamps: {}, nested: { retries: 300, list: [1, -200, 2 ** 35] } };

  it('types integers as I (int32), l for big positives and d for big negatives, recursively', () => {
    const wire = toWireTable(headers);
    expect(wire.mid).toEqual({ '!': 'int32', value: 300 });
    expect(wire.huge).toEqual({ '!': 'int64', value: 2 ** 40 });
    expect(wire.negHuge).toEqual({ '!': 'double', value: -(2 ** 40) });
    expect(wire.timelimit).toEqual([null, { '!': 'int32', value: 10 }]);
    const bytes = encode(wire);
    // no b or s tags anywhere: the tag before "mid"'s value is I
    const at = bytes.indexOf(Buffer.from('mid'));
    expect(String.fromCharCode(bytes[at + 3]!)).toBe('I');
  });

  it('is read back by py-amqp with the same numbers', () => {
    expect(pyLoads(encode(toWireTable(headers)))).toEqual(headers);
  });

  it('shows the trap it avoids: untyped amqplib encoding is misread by py-amqp', () => {
    expect(pyLoads(encode({ neg: -1 }))).toEqual({ neg: 255 });
  });

  it('decodes py-amqp tables including L (signed int64) through the patched amqplib decoder', () => {
    expect(int64TagSupported).toBe(true);
    const table = pyDumps("{'big': 2**40, 'neg': -(2**40), 'mid': 300, 'tl': [None, 10], 'd': {'x': 2**33}}");
    expect(codec.decodeFields(table.subarray(4))).toEqual({ big: 2 ** 40, neg: -(2 ** 40), mid: 300, tl: [null, 10], d: { x: 2 ** 33 } });
  });

  it('translates L tags in place and leaves L-free tables untouched', () => {
    const table = pyDumps("{'a': [2**40], 'b': 'L'}").subarray(4);
    const fixed = translatePyAmqpTags(table);
    expect(fixed).not.toBe(table);
    expect(fixed.length).toBe(table.length);
    const plain = pyDumps("{'a': 1}").subarray(4);
    expect(translatePyAmqpTags(plain)).toBe(plain);
  });

  it('turns timestamps into Dates and decimals into numbers', () => {
    expect(fromWireValue({ t: { '!': 'timestamp', value: 10 }, d: { '!': 'decimal', value: { places: 2, digits: 150 } } }))
      .toEqual({ t: new Date(10_000), d: 1.5 });
  });
});
