/**
 * Memcached item flags as pylibmc (Python Celery's memcached client) writes and reads them. pylibmc
 * stores `bytes` with flags 0 and `str` as UTF-8 with flag 16 (`PYLIBMC_FLAG_TEXT`), and hands a
 * flag-16 item back as `str`, a flag-0 item as `bytes`; Celery's JSON results are `str`, so Python
 * writes them with flag 16. Checked against python3-pylibmc 1.6.3 (libmemcached 1.0.18) in the tests.
 *
 * Other flags: 1 pickled object, 2 bool, 4 int, 8 zlib-compressed (with `min_compress_len`, which
 * Celery does not pass). cq writes 16 for a text serializer (json, yaml) and 0 for a binary one
 * (msgpack), exactly what pylibmc writes for what kombu's `dumps` returns; it reads 0, 16 and
 * zlib-compressed items, and refuses pickles (nothing is unpickled).
 */
import { inflateSync } from 'node:zlib';
import { MemcachedValueError } from './errors.js';

/** pylibmc's item flags (`_pylibmcmodule.h`). */
export const PYLIBMC_FLAGS = { NONE: 0, PICKLE: 1, INTEGER: 2, LONG: 4, ZLIB: 8, TEXT: 16 } as const;

/** The flags pylibmc writes for a serializer's output: text (`utf-8`) → 16, binary → 0. */
export function flagsFor(contentEncoding: string): number {
  return contentEncoding === 'binary' ? PYLIBMC_FLAGS.NONE : PYLIBMC_FLAGS.TEXT;
}

/**
 * The stored bytes of an item as pylibmc would hand them to Celery: inflated when flag 8 is set.
 * @throws MemcachedValueError for a pickled item (flag 1) or a flag-8 item that is not zlib.
 */
export function itemBytes(value: Buffer, flags: number, key: string): Buffer {
  if (flags & PYLIBMC_FLAGS.PICKLE) {
    throw new MemcachedValueError(`the item ${key} was stored by pylibmc as a pickled Python object (flags ${flags}); cq does not unpickle`);
  }
  if (!(flags & PYLIBMC_FLAGS.ZLIB)) return value;
  try {
    return inflateSync(value);
  } catch (err) {
    throw new MemcachedValueError(`the item ${key} has the zlib flag (flags ${flags}) but does not inflate`, { cause: err });
  }
}

/** The flags word of a memjs GET response's extras (4 bytes, big-endian), 0 when absent. */
export function readFlags(extras: Buffer | null): number {
  return extras && extras.length >= 4 ? extras.readUInt32BE(0) : 0;
}
