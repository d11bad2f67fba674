/**
 * kombu ≥ 5.3 typed JSON envelopes: objects whose keys are exactly `__type__` and `__value__`
 * (`kombu/utils/json.py` `register_type`). Internal module used by `./json.ts`.
 *
 * | `__type__` | `__value__`              | decoded here as                         |
 * |------------|--------------------------|-----------------------------------------|
 * | datetime   | isoformat text           | `Date` (naive = UTC; µs truncated to ms) |
 * | date       | `YYYY-MM-DD`             | the string                              |
 * | time       | `HH:MM:SS[.ffffff]`      | the string                              |
 * | decimal    | decimal text             | the string (no precision loss)          |
 * | uuid       | `{hex: "32 hex digits"}` | hyphenated lowercase string             |
 * | bytes      | UTF-8 text               | `Buffer`                                |
 * | base64     | base64 text              | `Buffer`                                |
 */

import { isUtf8 } from 'node:buffer';
import { DecodeError } from '../errors.js';
import { parseIsoDate } from './isodate.js';
import { MAX_DECODED_DEPTH, depthError } from './limits.js';

const HEX32_RE = /^[0-9a-fA-F]{32}$/;

/** True when `object` has exactly the two own keys `__type__` and `__value__`. */
export function isEnvelope(object: object): boolean {
  return (
    Object.hasOwn(object, '__type__') && Object.hasOwn(object, '__value__') && Object.keys(object).length === 2
  );
}

function text(type: string, value: unknown): string {
  if (typeof value !== 'string') throw new DecodeError(`__type__ ${type}: __value__ must be a string`);
  return value;
}

/** Decode one envelope's value. @throws DecodeError for an unknown `__type__` (as kombu) or a bad value. */
export function decodeEnvelope(type: unknown, value: unknown): unknown {
  switch (type) {
    case 'datetime':
      return parseIsoDate(text(type, value));
    case 'date':
    case 'time':
    case 'decimal':
      return text(type, value);
    case 'uuid': {
      const hex = (value as { hex?: unknown } | null)?.hex;
      if (typeof value !== 'object' || typeof hex !== 'string' || !HEX32_RE.test(hex)) {
        throw new DecodeError('__type__ uuid: __value__ must be {"hex": "<32 hex digits>"}');
      }
      const h = hex.toLowerCase();
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 'bytes':
      return Buffer.from(text(type, value), 'utf8');
    case 'base64':
      return Buffer.from(text(type, value), 'base64');
    default:
      throw new DecodeError(`unsupported __type__ in JSON envelope: ${JSON.stringify(type)}`);
  }
}

/** Replace `object` by its decoded value when it is an envelope (a parse-time object hook). */
export function envelopeHook(object: Record<string, unknown>): unknown {
  return isEnvelope(object) ? decodeEnvelope(object['__type__'], object['__value__']) : object;
}

/**
 * Walk a freshly parsed JSON tree bottom-up, decoding envelopes in place.
 * @throws DecodeLimitError past {@link MAX_DECODED_DEPTH} levels (the walk recurses once per level).
 */
export function decodeEnvelopes(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DECODED_DEPTH) throw depthError('JSON text');
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeEnvelopes(value[i], depth + 1);
    return value;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) object[key] = decodeEnvelopes(object[key], depth + 1);
  return envelopeHook(object);
}

/** The JSON text of a bytes envelope, as kombu ≥ 5.3.6 writes it: `bytes` when UTF-8, else `base64`. */
export function bytesEnvelopeJson(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buffer)
    ? `{"__type__":"bytes","__value__":${JSON.stringify(buffer.toString('utf8'))}}`
    : `{"__type__":"base64","__value__":"${buffer.toString('base64')}"}`;
}
