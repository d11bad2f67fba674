/**
 * The `json`, `raw` and `pickle` serializers. `raw` is kombu's pass-through (`raw_encode`): bytes go
 * out as `application/data` + `binary`, strings as `application/data` + `utf-8`. `pickle` is
 * registered only so that `accept` lists naming it resolve; cq cannot read or write pickle.
 */

import { isUtf8 } from 'node:buffer';
import { DecodeError, EncodeError } from '../errors.js';
import { kombuJson } from './json.js';
import type { Serializer } from './registry.js';

export const jsonSerializer: Serializer = {
  name: 'json',
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  encode: (value) => Buffer.from(kombuJson.stringify(value), 'utf8'),
  decode: (body) => {
    // kombu decodes the bytes as strict UTF-8 before json.loads.
    if (!isUtf8(body)) throw new DecodeError('JSON body is not valid UTF-8');
    return kombuJson.parse(body.toString('utf8'));
  },
};

export const rawSerializer: Serializer = {
  name: 'raw',
  contentType: 'application/data',
  contentEncoding: 'binary',
  encode: (value) => {
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new EncodeError(`the raw serializer takes a Buffer, Uint8Array or string, not ${typeof value}`);
  },
  decode: (body) => body,
};

export const pickleSerializer: Serializer = {
  name: 'pickle',
  contentType: 'application/x-python-serialize',
  contentEncoding: 'binary',
  encode: () => {
    throw new EncodeError('pickle is Python-only: cq cannot write it (use json or msgpack)');
  },
  decode: () => {
    throw new DecodeError('pickle is Python-only: cq cannot read it (send json or msgpack)');
  },
};
