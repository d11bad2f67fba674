/**
 * Plain values (what a result serializer would take) to BSON field values and back, for the fields
 * Celery's MongoBackend stores as BSON rather than serialized: `children`, and with
 * `result_extended` `args`, `kwargs` and stamps. Chosen so pymongo reads what Python wrote: an
 * integer is an int32, or an int64 past 32 bits (the driver alone would write a double, which Python
 * reads as a float); bytes are Binary. Pure.
 */
import { Binary, Decimal128, Long, ObjectId } from 'mongodb';
import { MongoBackendEncodeError } from './errors.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * `value` as BSON will store it. `undefined` becomes null (Python has no undefined).
 * @throws MongoBackendEncodeError for an integer outside 64 bits (`field` names where), as pymongo's
 *   InvalidDocument ("MongoDB can only handle up to 8-byte ints").
 */
export function toBson(value: unknown, field: string): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && (value < INT32_MIN || value > INT32_MAX) ? Long.fromNumber(value) : value;
  }
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new MongoBackendEncodeError(`${field} holds the integer ${value}, past what BSON stores (64 bits): MongoDB cannot hold it as a field, as in Celery`);
    }
    return Long.fromBigInt(value);
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return new Binary(value);
  if (Array.isArray(value)) return value.map((v, i) => toBson(v, `${field}[${i}]`));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toBson(v, `${field}.${k}`)]));
  return value; // strings, booleans, Dates and BSON values as they are
}

/** A BSON field value as a plain value: int64 → number (bigint past 2^53), Binary → Buffer, ObjectId → hex. */
export function fromBson(value: unknown): unknown {
  if (value instanceof Long) {
    const n = value.toBigInt();
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  if (value instanceof Binary) return Buffer.from(value.buffer);
  if (value instanceof ObjectId) return value.toHexString();
  if (value instanceof Decimal128) return value.toString();
  if (Array.isArray(value)) return value.map(fromBson);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromBson(v)]));
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
