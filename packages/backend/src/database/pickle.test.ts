/**
 * The pickle codec against CPython (Debian's /usr/bin/python3): the writer gives `pickle.dumps(v, 5)`
 * byte for byte, for fixed cases and for values fast-check generates; the reader reads what Python
 * writes in protocols 0 to 5; and it refuses every opcode that names or calls code, with nothing run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EncodeError, kombuJson } from '@cq/kombu';
import { execFileTracked, requirePython } from '@cq/tooling/testing';
import { PickleFormatError, UnsafePickleError } from '../errors.js';
import { dumpsPickle } from './pickle-writer.js';
import { loadsPickle } from './pickle-reader.js';
import { PickleTuple } from './python-values.js';

const exec = promisify(execFileTracked);
const scratch = mkdtempSync(join(tmpdir(), 'cq-pickle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `code` with Python; each input line is bound to `line`; returns the printed lines. */
async function python(code: string, lines: readonly string[] = []): Promise<string[]> {
  const script = `import json, pickle, sys, os\nfor line in sys.stdin:\n    line = line.rstrip('\\n')\n${code.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
  const { stdout } = await exec(requirePython(), ['-c', script], { input: lines.join('\n') + '\n', timeout: 120_000 });
  return stdout.trim().split('\n');
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Buffer.from(h, 'hex');

/** A JSON-like value as kombu's JSON carries it (what Python's `json.loads` builds the same value from). */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.integer(), fc.integer({ min: -(2 ** 31) - 5, max: 2 ** 31 + 5 }), fc.maxSafeInteger(),
    fc.double(), fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }),
    fc.constantFrom('', 'a', 'x', 'é', 'ÿ', 'Ā', '日本', 'exc_type'), fc.string(), fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 2 }),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.oneof(fc.constantFrom('a', 'b', 'x', '', 'é', 'key', 'exc_type'), fc.string()).filter((k) => k !== '__type__' && k !== '__proto__'), tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('pickle writer: CPython pickle.dumps(value, protocol=5), byte for byte', () => {
  it('matches Python for fixed cases: ints at every width, floats, text, memo sharing, frames, batches', async () => {
    const cases: unknown[] = [
      null, true, false, 0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2n ** 63n, -(2n ** 63n),
      2n ** 64n, -(2n ** 64n), -128, -129, -256, 2n ** 2100n, 1.5, -0.5, 0.1, NaN, Infinity, -Infinity, 1e300, 1e21, 1e20,
      '', 'a', 'héllo', '日本', '🎉', 'x'.repeat(300), 'a\ud800b', '\udc00',
      ['a', 'a', 'b', 'bb', 'bb', '', ''], { a: 'x', b: { a: 'x', c: 'abc' }, abc: 'abc' },
      { list: [1, 2.5, 'three', null, true], nested: { deep: { deeper: [{ x: -1 }] } }, empty: {} },
      Array.from({ length: 1001 }, (_, i) => i), Array.from({ length: 2000 }, (_, i) => i),
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])), Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])),
      Array.from({ length: 10_000 }, (_, i) => `abcdefgh${String(i).padStart(5, '0')}`),
      ['x'.repeat(65_530)], [['x'.repeat(65_530)], 'y'], { ['x'.repeat(65_530)]: 1, z: 2 }, ['a', 'b'.repeat(70_000), 'c'], 'a'.repeat(65_536),
    ];
    const expected = await python('print(pickle.dumps(json.loads(line), 5).hex())', cases.map((c) => kombuJson.stringify(c)));
    cases.forEach((value, i) => {
      expect(hex(dumpsPickle(value)), `case ${i}: ${kombuJson.stringify(value).slice(0, 60)}`).toBe(expected[i]);
    });
  });

  it('writes tuples as Python tuples: the exception dict Celery stores', async () => {
    const info = { exc_type: 'ValueError', exc_message: new PickleTuple(['bad', 3]), exc_module: 'builtins' };
    const [expected] = await python("d = json.loads(line)\nd['exc_message'] = tuple(d['exc_message'])\nprint(pickle.dumps(d, 5).hex())",
      [JSON.stringify({ exc_type: 'ValueError', exc_message: ['bad', 3], exc_module: 'builtins' })]);
    expect(hex(dumpsPickle(info))).toBe(expected);
    const tuples = [new PickleTuple([]), new PickleTuple([1]), new PickleTuple([1, 2, 3]), new PickleTuple([1, 2, 3, 4]), new PickleTuple([[new PickleTuple(['a'])]])];
    const py = await python('print(pickle.dumps(eval(line), 5).hex())', ['()', '(1,)', '(1, 2, 3)', '(1, 2, 3, 4)', "([('a',)],)"]);
    expect(tuples.map((t) => hex(dumpsPickle(t)))).toEqual(py);
  });

  it('matches Python for 300 generated JSON-like values', async () => {
    const values = fc.sample(jsonValue, { numRuns: 300, seed: 20_261_207 });
    const expected = await python('print(pickle.dumps(json.loads(line), 5).hex())', values.map((v) => kombuJson.stringify(v)));
    values.forEach((value, i) => expect(hex(dumpsPickle(value)), kombuJson.stringify(value)).toBe(expected[i]));
  });

  it('writes what kombu JSON writes for JS-only values, and refuses what it refuses', () => {
    const date = new Date('2026-11-22T05:55:20.378Z');
    expect(loadsPickle(dumpsPickle({ date, bytes: Buffer.from([1, 2]), map: new Map<unknown, unknown>([[1, 'a'], [null, 'b']]), skip: undefined, arr: [undefined] })))
      .toEqual({ date: '2026-11-22T05:55:20.378000+00:00', bytes: Buffer.from([1, 2]), map: { 1: 'a', null: 'b' }, arr: [null] });
    expect(() => dumpsPickle({ f: () => 1 })).toThrow(EncodeError);
    expect(() => dumpsPickle(new Set([1]))).toThrow(/Set/);
    expect(() => dumpsPickle({ s: Symbol('x') })).toThrow(/at s/);
  });
});

describe('pickle reader: plain values only', () => {
  it('round-trips generated values (tuples read as arrays)', () => {
    fc.assert(fc.property(jsonValue, (value) => {
      const back = loadsPickle(dumpsPickle(value));
      expect(kombuJson.stringify(back)).toBe(kombuJson.stringify(value));
    }), { numRuns: 500 });
  });

  it('writes an integral number past 2**53 as the int its JSON text names, and 1e21 up as a float', () => {
    for (const v of [-(2 ** 60), 2 ** 60, -(2 ** 53) - 2, 9.5e20, -1e20]) {
      expect(kombuJson.stringify(loadsPickle(dumpsPickle(v))), String(v)).toBe(kombuJson.stringify(v));
    }
    expect(loadsPickle(dumpsPickle(-(2 ** 60)))).toBe(-1152921504606847000n);
    expect(loadsPickle(dumpsPickle(1e21))).toBe(1e21);
  });

  it('reads what Python writes with every protocol, 0 to 5', async () => {
    const source = "{'n': None, 't': True, 'f': False, 'i': [0, -1, 255, 65536, -2**31, 2**40, 2**70, -2**70], 'x': [1.5, float('nan'), float('-inf')], " +
      "'s': ['', 'a', 'héllo ✓', '\\udc80', '日本' * 100, 'a' * 300], 'tup': (1, (2, 3), ()), 'shared': ['k', 'k'], 'deep': [[[{'a': {'b': [1]}}]]]}";
    const expected = { n: null, t: true, f: false, i: [0, -1, 255, 65536, -(2 ** 31), 2 ** 40, 2n ** 70n, -(2n ** 70n)], x: [1.5, NaN, -Infinity],
      s: ['', 'a', 'héllo ✓', '\udc80', '日本'.repeat(100), 'a'.repeat(300)], tup: [1, [2, 3], []], shared: ['k', 'k'], deep: [[[{ a: { b: [1] } }]]] };
    const cells = await python('v = eval(line.split("|", 1)[1])\nprint(pickle.dumps(v, int(line.split("|")[0])).hex())',
      [0, 1, 2, 3, 4, 5].map((p) => `${p}|${source}`));
    for (const [protocol, cell] of cells.entries()) {
      expect(loadsPickle(bytes(cell)), `protocol ${protocol}`).toEqual(expected);
    }
    const [withBytes, sets] = await python('print(pickle.dumps(eval(line), 5).hex())', ["[b'', b'\\x00\\xff', bytearray(b'ab')]", "[{1, 2}, frozenset({3})]"]);
    expect(loadsPickle(bytes(withBytes!))).toEqual([Buffer.alloc(0), Buffer.from([0, 255]), Buffer.from('ab')]);
    expect(loadsPickle(bytes(sets!))).toEqual([[1, 2], [3]]);
  });

  it('turns dict keys into strings as json.dumps does, and keeps __proto__ an own key', async () => {
    const sources = ["{1: 'a', -7: 'b', 2**70: 'c'}", "{1.5: 'a', 1e16: 'b', 1e-05: 'c', 0.0001: 'd', -0.0: 'e', 100.0: 'f', float('nan'): 'g', float('inf'): 'h'}",
      "{True: 'a', False: 'b', None: 'c'}", "{'__proto__': {'polluted': 1}}"];
    const out = await python('v = eval(line)\nprint(pickle.dumps(v, 5).hex() + "|" + json.dumps(v))', sources);
    for (const line of out) {
      const [cell, json] = line.split('|') as [string, string];
      expect(Object.keys(loadsPickle(bytes(cell)) as object)).toEqual(Object.keys(kombuJson.parse(json) as object));
    }
    const proto = loadsPickle(bytes(out[3]!.split('|')[0]!)) as Record<string, unknown>;
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const [tupleKey] = await python('print(pickle.dumps(eval(line), 5).hex())', ["{(1, 2): 'a'}"]);
    expect(() => loadsPickle(bytes(tupleKey!))).toThrow(PickleFormatError);
  });

  it('refuses every opcode that names or calls code, and runs nothing', async () => {
    const marker = join(scratch, 'pwned');
    const payload = `class P:\n    def __reduce__(self):\n        return (os.system, ('touch ${marker}',))\n`;
    const cells = await python(
      `${payload.split('\n').join('\n    ')}\nprint(pickle.dumps(P(), int(line)).hex())`, ['0', '1', '2', '3', '4', '5']);
    for (const cell of cells) {
      const err = (() => { try { loadsPickle(bytes(cell)); } catch (e) { return e; } return null; })();
      expect(err).toBeInstanceOf(UnsafePickleError);
      expect((err as UnsafePickleError).opcode).toMatch(/^(GLOBAL \(0x63\)|STACK_GLOBAL \(0x93\))$/);
    }
    const others = await python('print(pickle.dumps(eval(line), 5).hex())', [
      "__import__('datetime').datetime(2026, 1, 1)", "ValueError('x')", "__import__('collections').OrderedDict(a=1)", "__import__('decimal').Decimal('1.5')",
    ]);
    for (const cell of others) expect(() => loadsPickle(bytes(cell))).toThrow(UnsafePickleError);
    const [ext] = await python("import copyreg\ncopyreg.add_extension('posix', 'system', 240)\nprint(pickle.dumps(os.system, 2).hex())", ['x']);
    const crafted: Array<[string, Buffer]> = [
      ['EXT1 (0x82)', bytes(ext!)],
      ['INST (0x69)', Buffer.from('(iposix\nsystem\n.', 'latin1')],
      ['OBJ (0x6f)', Buffer.from('(No.', 'latin1')],
      ['BUILD (0x62)', Buffer.from('\x80\x02N}b.', 'latin1')],
      ['NEWOBJ (0x81)', Buffer.from('\x80\x02N)\x81.', 'latin1')],
      ['NEWOBJ_EX (0x92)', Buffer.from('\x80\x04N)}\x92.', 'latin1')],
      ['REDUCE (0x52)', Buffer.from('\x80\x02N)R.', 'latin1')],
      ['PERSID (0x50)', Buffer.from('P1\n.', 'latin1')],
      ['BINPERSID (0x51)', Buffer.from('\x80\x02NQ.', 'latin1')],
      ['NEXT_BUFFER (0x97)', Buffer.from('\x80\x05\x97.', 'latin1')],
      ['STRING (0x53)', Buffer.from("S'x'\n.", 'latin1')],
      ['0x07', Buffer.from('\x80\x05\x07.', 'latin1')],
    ];
    for (const [opcode, cell] of crafted) {
      expect(() => loadsPickle(cell), opcode).toThrow(UnsafePickleError);
      try { loadsPickle(cell); } catch (e) { expect((e as UnsafePickleError).opcode).toBe(opcode); }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses malformed pickles and ones past its limits with PickleFormatError', async () => {
    for (const cell of ['80054b', '8005', '80054b052e00', '8005682e', '8005612e', '80054b0561' + '2e', '80058cff', '8005950010000000000000', '80068e2e', '8005' + '8b' + 'ffffffff' + '2e']) {
      expect(() => loadsPickle(bytes(cell)), cell).toThrow(PickleFormatError);
    }
    const [cycle] = await python('l = []\nl.append(l)\nprint(pickle.dumps(l, 5).hex())', ['x']);
    expect(() => loadsPickle(bytes(cycle!))).toThrow(/contains itself/);
    const nested = (depth: number) => Buffer.concat([bytes('8005'), Buffer.alloc(depth, 0x5d), Buffer.alloc(depth - 1, 0x61), bytes('2e')]);
    expect(loadsPickle(nested(1000))).toBeInstanceOf(Array);
    expect(() => loadsPickle(nested(1001))).toThrow(/deeper than 1000/);
    // a "billion laughs": each level holds the previous one twice through the memo
    const laughs = (levels: number) => {
      const parts = [bytes('80055d9430')];
      for (let level = 0; level < levels; level++) parts.push(Buffer.from([0x5d, 0x28, 0x68, level, 0x68, level, 0x65, 0x94, 0x30]));
      return Buffer.concat([...parts, Buffer.from([0x68, levels, 0x2e])]);
    };
    expect(() => loadsPickle(laughs(40))).toThrow(/more than 10000000 values/);
    expect(loadsPickle(laughs(5))).toHaveLength(2);
    expect(() => loadsPickle(laughs(5), { maxItems: 32 })).toThrow(/more than 32 values/);
  });
});
