/**
 * The `msgpack` serializer (kombu: `msgpack.packb(use_bin_type=True)` / `unpackb(raw=False)`), via
 * msgpackr in plain-MessagePack mode so Python's `msgpack` reads and writes the same bytes.
 *
 * Mapping: object/Map ↔ map (decoded as plain objects, keys as strings); Buffer/Uint8Array ↔ bin;
 * integers beyond ±2^53 ↔ int64/uint64 as `bigint`; `undefined` → nil in arrays and omitted in objects;
 * a Set is written as an array; a Date as the MessagePack timestamp extension (-1), which Python's
 * msgpack returns as `msgpack.Timestamp` (kombu itself has no datetime support for msgpack).
 */

import { Packr } from 'msgpackr';
import type { Options } from 'msgpackr';
import type { Serializer } from './registry.js';

// `skipValues` exists at runtime (omits undefined properties, like JSON) but not in msgpackr's typings.
const options: Options & { skipValues: unknown[] } = {
  useRecords: false,
  mapsAsObjects: true,
  // 'auto': numbers within ±2^53, bigint beyond. Supported at runtime; msgpackr's typings omit it.
  int64AsType: 'auto' as 'bigint',
  variableMapSize: true,
  encodeUndefinedAsNil: true,
  skipValues: [undefined],
};
const packr = new Packr(options);

export const msgpackSerializer: Serializer = {
  name: 'msgpack',
  contentType: 'application/x-msgpack',
  contentEncoding: 'binary',
  encode: (value) => packr.pack(value),
  decode: (body) => packr.unpack(body) as unknown,
};
