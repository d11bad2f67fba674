import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { requirePython } from '@cq/tooling/testing';
import { compress, decompress, registerCompressor } from './compression.js';
import { CompressionError } from './errors.js';

/** Run Python with `input` on stdin; returns stdout bytes. */
function py(code: string, input: Buffer = Buffer.alloc(0)): Buffer {
  return execFileSync(requirePython(), ['-c', code], { input });
}

const body = Buffer.from(JSON.stringify({ text: 'héllo wörld '.repeat(200), n: [1, 2, 3] }));

describe('compression registry', () => {
  it.each([
    ['zlib', 'application/x-gzip'],
    ['gzip', 'application/x-gzip'],
    ['bzip2', 'application/x-bz2'],
    ['bzip', 'application/x-bz2'],
    ['brotli', 'application/x-brotli'],
  ])('%s compresses to %s and round-trips by name and by MIME type', (method, mime) => {
    const out = compress(body, method);
    expect(out.mimeType).toBe(mime);
    expect(out.body.length).toBeLessThan(body.length);
    expect(decompress(out.body, mime)).toEqual(body);
    expect(decompress(out.body, method)).toEqual(body);
  });

  it('zlib writes a zlib stream (RFC 1950), not gzip', () => {
    const out = compress(body, 'gzip').body;
    expect(out.subarray(0, 2)).toEqual(Buffer.from([0x78, 0x9c]));
  });

  it('bzip2 writes a bzip2 stream with block size 9', () => {
    expect(compress(body, 'bzip2').body.subarray(0, 4).toString('latin1')).toBe('BZh9');
  });

  it('throws CompressionError naming the registered methods for an unknown method', () => {
    expect(() => compress(body, 'lz4')).toThrow(CompressionError);
    expect(() => decompress(body, 'application/x-lz4')).toThrow(/registered: .*application\/x-gzip.*application\/x-bz2/);
  });

  it('throws CompressionError with the cause for corrupt data', () => {
    for (const method of ['zlib', 'bzip2', 'brotli']) {
      let error: unknown;
      try {
        decompress(Buffer.from('definitely not compressed'), method);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CompressionError);
      expect((error as CompressionError).code).toBe('CQ_KOMBU_COMPRESSION');
      expect((error as CompressionError).cause).toBeDefined();
    }
    const truncated = compress(body, 'bzip2').body.subarray(0, 40);
    expect(() => decompress(truncated, 'bzip2')).toThrow(CompressionError);
  });

  it('registers a custom method with aliases', () => {
    const reverse = (b: Buffer): Buffer => Buffer.from(b).reverse();
    registerCompressor('reverse-test', { mimeType: 'application/x-reverse-test', compress: reverse, decompress: reverse }, ['rev-test']);
    const out = compress(Buffer.from('abc'), 'rev-test');
    expect(out).toEqual({ body: Buffer.from('cba'), mimeType: 'application/x-reverse-test' });
    expect(decompress(out.body, 'application/x-reverse-test').toString()).toBe('abc');
  });
});

describe('compression against Python zlib and bz2', () => {
  beforeAll(() => { requirePython(); });

  it('Python zlib.decompress reads our zlib output, and we read zlib.compress', () => {
    expect(py('import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))', compress(body, 'zlib').body)).toEqual(body);
    const fromPython = py('import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))', body);
    expect(decompress(fromPython, 'application/x-gzip')).toEqual(body);
  });

  it('Python bz2.decompress reads our bzip2 output, and we read bz2.compress', () => {
    expect(py('import sys, bz2; sys.stdout.buffer.write(bz2.decompress(sys.stdin.buffer.read()))', compress(body, 'bzip2').body)).toEqual(body);
    const fromPython = py('import sys, bz2; sys.stdout.buffer.write(bz2.compress(sys.stdin.buffer.read()))', body);
    expect(decompress(fromPython, 'application/x-bz2')).toEqual(body);
  });

  it('reads concatenated bzip2 streams as Python does', () => {
    const twice = py('import sys, bz2; d = sys.stdin.buffer.read(); sys.stdout.buffer.write(bz2.compress(d) + bz2.compress(d))', body);
    expect(decompress(twice, 'bzip2')).toEqual(Buffer.concat([body, body]));
  });

  it('round-trips an empty body with Python', () => {
    expect(py('import sys, bz2; sys.stdout.buffer.write(bz2.decompress(sys.stdin.buffer.read()))', compress(Buffer.alloc(0), 'bzip2').body)).toEqual(Buffer.alloc(0));
    expect(py('import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))', compress(Buffer.alloc(0), 'zlib').body)).toEqual(Buffer.alloc(0));
  });
});
