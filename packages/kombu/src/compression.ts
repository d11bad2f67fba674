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
 * Not available: `lzma`/`xz` and `zstd` (kombu has them when the Python modules are installed).
 */

/// <reference path="./compressjs.d.ts" />
import { brotliCompressSync, brotliDecompressSync, deflateSync, inflateSync } from 'node:zlib';
import type compressjsModule from 'compressjs';
import { CompressionError } from './errors.js';
import { requirePackage } from './utils/import-package.js';

/** A compression method: its MIME type (the `compression` header value) and codec functions. */
export interface Compressor {
  mimeType: string;
  compress(body: Buffer): Buffer;
  decompress(body: Buffer): Buffer;
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
 * @throws CompressionError for an unknown method or data that does not decompress (with `cause`).
 */
export function decompress(body: Buffer, methodOrMime: string): Buffer {
  const compressor = lookup(methodOrMime);
  try {
    return compressor.decompress(body);
  } catch (error) {
    if (error instanceof CompressionError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CompressionError(`cannot decompress ${compressor.mimeType} body: ${reason}`, { cause: error });
  }
}

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

registerCompressor(
  'zlib',
  { mimeType: 'application/x-gzip', compress: (b) => deflateSync(b), decompress: (b) => inflateSync(b) },
  ['gzip'],
);
let bzip2Codec: typeof compressjsModule.Bzip2 | null = null;

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
    decompress: (b) => toBuffer(bzip2().decompressFile(b, undefined, true)),
  },
  ['bzip'],
);
registerCompressor('brotli', {
  mimeType: 'application/x-brotli',
  compress: (b) => brotliCompressSync(b),
  decompress: (b) => brotliDecompressSync(b),
});
