/**
 * The decoding path against hostile bodies (cq issue 15): compression bombs stop at the size limit,
 * values nested past any recursive decoder are refused for every serializer, YAML alias bombs and
 * cycles are refused, invalid UTF-8 is refused — each with a typed error, never a crash — and random
 * input (fast-check properties) never escapes as anything but a kombu error.
 */
import { brotliCompressSync, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, decompress } from './compression.js';
import { CompressionError, DecodeError, DecodeLimitError, KombuError } from './errors.js';
import { Message } from './message.js';
import { exceedsDepth, MAX_DECODED_DEPTH, MAX_YAML_DEPTH } from './serialization/limits.js';
import { loads } from './serialization/index.js';
import { billionLaughsYaml, deepJsonArray, deepMsgpackArray, deepYamlSequence, zlibBomb } from '@cq/tooling/testing';
import { checkEnvelope, parseEnvelope } from './transport/virtual/envelope.js';
import type { Channel, Delivery } from './transport/types.js';

const MiB = 1024 * 1024;
const ALL = ['json', 'yaml', 'msgpack'];

function message(body: Buffer, contentType: string, headers: Record<string, unknown> = {}, maxBodySize?: number | null): Message {
  const delivery: Delivery = {
    body, contentType, contentEncoding: contentType === 'application/x-msgpack' ? 'binary' : 'utf-8', headers, properties: {},
    deliveryTag: '1', deliveryInfo: { exchange: '', routing_key: 'q' }, redelivered: false,
  };
  return new Message({} as Channel, delivery, ALL, undefined, maxBodySize);
}

function refusal(fn: () => unknown): DecodeLimitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeLimitError);
    expect((err as DecodeLimitError).code).toBe('CQ_KOMBU_DECODE_LIMIT');
    return err as DecodeLimitError;
  }
  throw new Error('expected DecodeLimitError');
}

const loadsText = (text: string, type: string) => loads(Buffer.from(text), type, 'utf-8', null);

describe('compression bombs stop at the body size limit', () => {
  it('a 1 GiB zlib bomb (1 MiB on the wire) is refused in well under a second and a few MiB', () => {
    const bomb = zlibBomb();
    expect(bomb.length).toBeLessThan(1.1 * MiB);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const err = refusal(() => message(bomb, 'application/json', { compression: 'application/x-gzip' }).decode());
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.limit).toBe('size');
    expect(err.max).toBe(16 * MiB);
    expect(err.message).toMatch(/decompresses to more than the limit of 16777216 bytes/);
    // Inflating it would take 1 GiB; stopping at the limit takes about 16 MiB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MiB);
  });

  it('the bomb is a real one: unlimited, the first 64 MiB come out as zeros', () => {
    const partial = decompress(zlibBomb(64 * MiB), 'zlib');
    expect(partial.length).toBe(64 * MiB);
    expect(partial.every((b) => b === 0)).toBe(true);
  });

  it('brotli and bzip2 bombs stop at the limit too, and a body within it decodes', () => {
    const json = Buffer.from(JSON.stringify({ pad: 'x'.repeat(3 * MiB) }));
    refusal(() => decompress(brotliCompressSync(json), 'brotli', MiB));
    refusal(() => decompress(compress(json, 'bzip2').body, 'bzip2', MiB));
    expect(decompress(compress(json, 'bzip2').body, 'bzip2', 4 * MiB).equals(json)).toBe(true);
    expect(message(deflateSync(json), 'application/json', { compression: 'zlib' }, 4 * MiB).decode()).toEqual({ pad: 'x'.repeat(3 * MiB) });
  });

  it('an uncompressed body over the limit is refused before it is parsed; null lifts the limit', () => {
    const big = Buffer.from(JSON.stringify(['y'.repeat(2 * MiB)]));
    expect(refusal(() => message(big, 'application/json', {}, MiB).decode()).message).toMatch(/message body of \d+ bytes is larger than the limit of 1048576 bytes/);
    expect(message(big, 'application/json', {}, null).decode()).toEqual(['y'.repeat(2 * MiB)]);
  });

  it('a corrupt stream is a CompressionError, an unknown method too (lzma, zstd are not available)', () => {
    expect(() => message(Buffer.from('not zlib'), 'application/json', { compression: 'application/x-gzip' }).decode()).toThrow(CompressionError);
    expect(() => message(Buffer.from('{}'), 'application/json', { compression: 'application/zstd' }).decode()).toThrow(CompressionError);
  });
});

describe('values nested past a recursive decoder are refused, for every serializer', () => {
  it('JSON: 100,000-deep arrays through JSON.parse, the tolerant parser (NaN) and the envelope walk', () => {
    expect(refusal(() => loadsText(deepJsonArray(100_000), 'application/json')).limit).toBe('depth');
    refusal(() => loadsText(`[NaN, ${deepJsonArray(100_000)}]`, 'application/json'));
    refusal(() => loadsText(`[{"__type__": "bytes", "__value__": "x"}, ${deepJsonArray(100_000)}]`, 'application/json'));
    refusal(() => loadsText(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, 'application/json'));
  });

  it('JSON: 1000 levels decode (Python json reaches about that far), 1001 do not', () => {
    expect(MAX_DECODED_DEPTH).toBe(1000);
    expect(loadsText(deepJsonArray(1000), 'application/json')).toBeInstanceOf(Array);
    expect(loadsText(`[NaN, ${deepJsonArray(999)}]`, 'application/json')).toBeInstanceOf(Array);
    refusal(() => loadsText(deepJsonArray(1001), 'application/json'));
    refusal(() => loadsText(`[NaN, ${deepJsonArray(1000)}]`, 'application/json'));
  });

  it('msgpack: 100,000 and 1001 levels are refused; the decoder works afterwards', () => {
    const decode = (b: Buffer) => loads(b, 'application/x-msgpack', 'binary', null);
    refusal(() => decode(deepMsgpackArray(100_000)));
    refusal(() => decode(deepMsgpackArray(1001)));
    expect(decode(Buffer.from([0x92, 0x01, 0xa1, 0x78]))).toEqual([1, 'x']);
  });

  it('YAML: nesting past 400 is refused before the document is composed, again and again without crashing', () => {
    for (let round = 0; round < 4; round++) {
      expect(refusal(() => loadsText(deepYamlSequence(100_000), 'application/x-yaml')).max).toBe(MAX_YAML_DEPTH);
      refusal(() => loadsText(deepJsonArray(5000), 'application/x-yaml'));
      refusal(() => loadsText(Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' x', 'application/x-yaml'));
    }
    expect(loadsText(deepYamlSequence(400), 'application/x-yaml')).toBeInstanceOf(Array);
    expect(loadsText('a: [1, {b: yes}]\n', 'application/x-yaml')).toEqual({ a: [1, { b: true }] });
  });

  it('YAML: a billion-laughs document, a cyclic anchor and invalid UTF-8 are refused', () => {
    expect(() => loadsText(billionLaughsYaml(), 'application/x-yaml')).toThrow(/Excessive alias count/);
    expect(() => loadsText(billionLaughsYaml(), 'application/x-yaml')).toThrow(DecodeError);
    expect(refusal(() => loadsText('a: &a [1, *a]\n', 'application/x-yaml')).message).toMatch(/or cyclic/);
    expect(() => loads(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe]), 'application/x-yaml', 'utf-8', null)).toThrow(/not valid UTF-8/);
    // Aliases shared, not cyclic: fine.
    expect(loadsText('a: &a {x: 1}\nb: *a\nc: *a\n', 'application/x-yaml')).toEqual({ a: { x: 1 }, b: { x: 1 }, c: { x: 1 } });
  });

  it('invalid UTF-8 in JSON is a DecodeError', () => {
    expect(() => loads(Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]), 'application/json', 'utf-8', null)).toThrow(/not valid UTF-8/);
  });
});

describe('exceedsDepth', () => {
  it('counts containers, walks a shared value once with its height, and treats a cycle as too deep', () => {
    expect(exceedsDepth(5, 0)).toBe(false);
    expect(exceedsDepth([[[]]], 3)).toBe(false);
    expect(exceedsDepth([[[]]], 2)).toBe(true);
    expect(exceedsDepth({ a: new Map([['k', new Set([[1]])]]) }, 4)).toBe(false);
    expect(exceedsDepth({ a: new Map([['k', new Set([[1]])]]) }, 3)).toBe(true);
    expect(exceedsDepth([Buffer.alloc(3), new Date()], 1)).toBe(false);
    // A chain of shared values (YAML anchors): each is walked once, yet the depth adds up.
    let chain: unknown[] = [];
    for (let i = 0; i < 1500; i++) chain = [chain, chain];
    expect(exceedsDepth(chain, 1501)).toBe(false);
    expect(exceedsDepth(chain, 1500)).toBe(true);
    const cyclic: unknown[] = [1];
    cyclic.push([cyclic]);
    expect(exceedsDepth(cyclic, 1000)).toBe(true);
  });
});

describe('stored envelopes are checked before they become deliveries', () => {
  const good = { body: 'e30=', 'content-type': 'application/json', 'content-encoding': 'utf-8', headers: {}, properties: { delivery_tag: 't', body_encoding: 'base64', delivery_info: { exchange: '', routing_key: 'q' } } };

  it('accepts what kombu writes and refuses every other shape with a DecodeError naming it', () => {
    expect(checkEnvelope(good)).toBe(good);
    const cases: Array<[string, unknown]> = [
      ['not JSON', '{"body":'],
      ['not a JSON object', '[1, 2]'],
      ['"body" is not a string', JSON.stringify({ ...good, body: 5 })],
      ['"properties" is not an object', JSON.stringify({ ...good, properties: 'x' })],
      ['"headers" is not an object', JSON.stringify({ ...good, headers: [1] })],
      ['"content-type" is not a string', JSON.stringify({ ...good, 'content-type': 1 })],
      ['"body_encoding" is not a string', JSON.stringify({ ...good, properties: { ...good.properties, body_encoding: [] } })],
      ['"delivery_info" is not an object', JSON.stringify({ ...good, properties: { ...good.properties, delivery_info: 3 } })],
      ['"delivery_info.routing_key" is not a string', JSON.stringify({ ...good, properties: { ...good.properties, delivery_info: { routing_key: 7 } } })],
      ['nested more than 1000 levels deep', `${JSON.stringify(good).slice(0, -1)},"deep":${deepJsonArray(100_000)}}`],
    ];
    for (const [why, text] of cases) expect(() => parseEnvelope(text as string), why).toThrow(new RegExp(why.replace(/[.[\]"]/g, '\\$&')));
    for (const [, text] of cases) expect(() => parseEnvelope(text as string)).toThrow(DecodeError);
  });
});

describe('random input never escapes as anything but a kombu error (fast-check)', () => {
  const TYPES = ['application/json', 'application/x-yaml', 'application/x-msgpack', 'application/data', 'text/plain', 'application/x-python-serialize', 'text/html', ''];
  const COMPRESSION = [undefined, 'application/x-gzip', 'zlib', 'application/x-brotli', 'application/x-bz2', 'lzma', 7, ''];
  const ALPHABET = '[]{}",:0123456789.eE+-tnfalsrue NaInfity\\u00_-*&!?|>#%@\n\t';
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 300 }).map((text) => Buffer.from(text)),
    fc.json({ maxDepth: 6 }).map((text) => Buffer.from(text)),
  );

  it('4,500 random bodies, texts and headers (a failure prints its replay seed)', () => {
    fc.assert(fc.property(body, fc.constantFrom(...TYPES), fc.constantFrom(...COMPRESSION), fc.constantFrom(64, MiB, null), (b, type, compression, limit) => {
      try {
        message(b, type, compression === undefined ? {} : { compression }, limit).decode();
      } catch (err) {
        if (!(err instanceof KombuError)) throw err;
      }
    }), { numRuns: 4500 });
  });
});
