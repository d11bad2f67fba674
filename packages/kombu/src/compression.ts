/**
 * Body compression (kombu `kombu/compression.py`). The producer compresses the serialized body and
 * sets the message header `compression` to the method's MIME type; the consumer looks the header up
 * here, by MIME type or by name, and decompresses before deserializing.
 *
 * | name     | aliases  | MIME type              | format                                            |
 * |----------|----------|------------------------|---------------------------------------------------|
 * | `zlib`   | `gzip`   | `application/x-gzip`   | zlib stream (RFC 1950), Python `zlib.compress` — not gzip |
 * | `bzip2`  | `bzip`   | `application/x-bz2`    | bzip2, Python `bz2.compress` (level 9); needs the optional package `compressjs` |
 * | `brotli` |          | `application/x-brotli` | brotli, Python `brotli.compress`                  |
 *
 * Not available: `lzma`/`xz` and `zstd` (kombu has them when the Python modules are installed): a body
 * naming them is refused as an unknown method.
 *
 * Decompression takes a limit (`maxLength`, bytes): zlib and brotli stop as soon as their output
 * would pass it (Node's `maxOutputLength`), bzip2 as its output reaches it, so a compression bomb
 * (a 1 GiB zlib body is 1 MiB on the wire) costs at most the limit in memory and time before it is
 * refused with DecodeLimitError. A registered compressor that ignores the limit is checked after it
 * returns.
 */

/// <reference path="./compressjs.d.ts" />
import { brotliCompressSync, brotliDecompressSync, deflateSync, inflateSync } from 'node:zlib';
import type compressjsModule from 'compressjs';
import { CompressionError, DecodeLimitError } from './errors.js';
import { requirePackage } from './utils/import-package.js';

/** A compression method: its MIME type (the `compression` header value) and codec functions. */
export interface Compressor {
  mimeType: string;
  compress(body: Buffer): Buffer;
  /**
   * Decompresses `body`. With `maxLength` (bytes), stops and throws (any error) as soon as the output
   * would pass it; one that does not is checked by {@link decompress} once it returns.
   */
  decompress(body: Buffer, maxLength?: number): Buffer;
}

const registry = new Map<string, Compressor>();

/**
 * Register a method under `name`, each alias and its MIME type (kombu `compression.register`),
 * replacing previous holders of those keys. Lookups are case-insensitive.
 */
export function registerCompressor(name: string, compressor: Compressor, aliases: string[] = []): void {
  for (const key of [name, compressor.mimeType, ...aliases]) registry.set(key.toLowerCase(), compressor);
}

function lookup(method: string): Compressor {
  const found = registry.get(method.toLowerCase());
  if (found) return found;
  throw new CompressionError(
    `unknown compression method ${JSON.stringify(method)}; registered: ${[...registry.keys()].join(', ')}`,
  );
}

/**
 * Compress `body` with `method` (a name, alias or MIME type). Returns the compressed bytes and the
 * MIME type to put in the `compression` header.
 * @throws CompressionError for an unknown method or a codec failure (with `cause`).
 */
export function compress(body: Buffer, method: string): { body: Buffer; mimeType: string } {
  const compressor = lookup(method);
  try {
    return { body: compressor.compress(body), mimeType: compressor.mimeType };
  } catch (error) {
    if (error instanceof CompressionError) throw error;
    throw new CompressionError(`${compressor.mimeType} compression failed`, { cause: error });
  }
}

/**
 * Decompress `body`; `methodOrMime` is the `compression` header (a MIME type) or a method name.
 * `maxLength`: most bytes of output, default unlimited; decompression stops when it would pass it.
 * @throws CompressionError for an unknown method or data that does not decompress (with `cause`);
 *   DecodeLimitError (`limit: 'size'`) when the output would be longer than `maxLength`.
 */
export function decompress(body: Buffer, methodOrMime: string, maxLength?: number): Buffer {
  const compressor = lookup(methodOrMime);
  const tooLarge = () => new DecodeLimitError(
    `${compressor.mimeType} body of ${body.length} bytes decompresses to more than the limit of ${maxLength} bytes: refused`, 'size', maxLength!);
  let out: Buffer;
  try {
    out = compressor.decompress(body, maxLength);
  } catch (error) {
    if (error instanceof CompressionError || error instanceof DecodeLimitError) throw error;
    if (maxLength !== undefined && (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    const reason = error instanceof Error ? error.message : String(error);
    throw new CompressionError(`cannot decompress ${compressor.mimeType} body: ${reason}`, { cause: error });
  }
  if (maxLength !== undefined && out.length > maxLength) throw tooLarge();
  return out;
}

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

registerCompressor(
  'zlib',
  { mimeType: 'application/x-gzip', compress: (b) => deflateSync(b), decompress: (b, max) => inflateSync(b, max === undefined ? {} : { maxOutputLength: max }) },
  ['gzip'],
);
let bzip2Codec: typeof compressjsModule.Bzip2 | null = null;

/** A compressjs output stream that refuses to grow past `max` bytes (so a bzip2 bomb stops there). */
class BoundedSink {
  private buffer: Buffer;
  private length = 0;
  constructor(private readonly max: number) {
    this.buffer = Buffer.allocUnsafe(Math.min(64 * 1024, max));
  }

  writeByte(byte: number): void {
    if (this.length === this.buffer.length) {
      if (this.length >= this.max) throw new DecodeLimitError(`application/x-bz2 body decompresses to more than the limit of ${this.max} bytes: refused`, 'size', this.max);
      const grown = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.max));
      this.buffer.copy(grown);
      this.buffer = grown;
    }
    this.buffer[this.length++] = byte;
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * bzip2 comes from the optional package `compressjs`, loaded on first use: it is GPL-licensed, so
 * cq (BSD) does not depend on it; an application that needs bzip2 installs it.
 * @throws CompressionError naming the package to install when it is missing.
 */
function bzip2(): typeof compressjsModule.Bzip2 {
  bzip2Codec ??= requirePackage<typeof compressjsModule>('compressjs')?.Bzip2 ?? null;
  if (!bzip2Codec) {
    throw new CompressionError('bzip2 needs the optional package compressjs (GPL-licensed, so cq does not ship it): install it beside your app (`pnpm add compressjs`), or use zlib or brotli');
  }
  return bzip2Codec;
}

registerCompressor(
  'bzip2',
  {
    mimeType: 'application/x-bz2',
    compress: (b) => toBuffer(bzip2().compressFile(b, undefined, 9)),
    decompress: (b, max) => {
      if (max === undefined) return toBuffer(bzip2().decompressFile(b, undefined, true));
      const sink = new BoundedSink(max);
      bzip2().decompressFile(b, sink, true);
      return sink.result();
    },
  },
  ['bzip'],
);
registerCompressor('brotli', {
  mimeType: 'application/x-brotli',
  compress: (b) => brotliCompressSync(b),
  decompress: (b, max) => brotliDecompressSync(b, max === undefined ? {} : { maxOutputLength: max }),
});
