/**
 * AMQP field-table values that py-amqp reads right (celery-protocol.md §1.10).
 *
 * amqplib picks the narrowest integer tag (`b`, `s`, `I`, `l`) for a JS number; py-amqp reads `b` as
 * unsigned and `s` as a short *string*, so a header like `retries: 300` arrives garbled in Python.
 * {@link toWireTable} rewrites every value into amqplib's typed form (`{ '!': type, value }`) with the
 * tags py-amqp writes itself: int32 → `I`, larger positive integers → `l` (py-amqp reads it unsigned),
 * integers below int32 → `d` (a double; py-amqp has no signed 64-bit reader for `l`), other numbers →
 * `d`. Nested tables and arrays are typed too; `null`/`undefined` become `V` (void).
 *
 * In the other direction py-amqp writes integers beyond int32 as `L` (signed int64), a tag amqplib does
 * not know; {@link translatePyAmqpTags} turns those tags into amqplib's `l` (same 8-byte layout, signed).
 */

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const INT64_MAX = 2n ** 63n - 1n;

/** A value as amqplib's table encoder accepts it. */
export type WireValue = unknown;

/** Types a header/arguments table for the wire. Returns a new object; `undefined` keys are dropped. */
export function toWireTable(table: Record<string, unknown>): Record<string, WireValue> {
  const out: Record<string, WireValue> = {};
  for (const [key, value] of Object.entries(table)) {
    if (value !== undefined) out[key] = toWireValue(value);
  }
  return out;
}

/** Types one field value (see the module comment for the rules). */
export function toWireValue(value: unknown): WireValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return typedNumber(value);
  if (typeof value === 'bigint') {
    if (value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) return { '!': 'int32', value: Number(value) };
    if (value > 0n && value <= INT64_MAX) return { '!': 'int64', value };
    return value.toString();
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Date) return { '!': 'timestamp', value: Math.floor(value.getTime() / 1000) };
  if (Array.isArray(value)) return value.map(toWireValue);
  if (typeof value === 'object') return toWireTable(value as Record<string, unknown>);
  return String(value);
}

function typedNumber(n: number): WireValue {
  if (Number.isInteger(n)) {
    if (n >= INT32_MIN && n <= INT32_MAX) return { '!': 'int32', value: n };
    if (n > 0 && n < 2 ** 63) return { '!': 'int64', value: n };
  }
  return { '!': 'double', value: n };
}

/**
 * Turns amqplib's decoded special values into plain ones: `T` timestamps into `Date`s (py-amqp gives
 * a datetime) and `D` decimals into numbers. Everything else is returned as is.
 */
export function fromWireValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWireValue);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const rec = value as Record<string, unknown>;
    if (Object.hasOwn(rec, '!')) {
      if (rec['!'] === 'timestamp') return new Date(Number(rec.value) * 1000);
      if (rec['!'] === 'decimal') {
        const d = rec.value as { places: number; digits: number };
        return d.digits / 10 ** d.places;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) out[k] = fromWireValue(v);
    return out;
  }
  return value;
}

/** Fixed sizes of the value after each tag; `-1` means a 4-byte length prefix follows. */
const SIZES: Record<string, number> = {
  t: 1, b: 1, B: 1, s: 2, u: 2, I: 4, i: 4, f: 4, D: 5, d: 8, l: 8, L: 8, T: 8, V: 0, S: -1, x: -1,
};

/**
 * Returns `slice` (the inside of a field table, as amqplib's `decodeFields` receives it) with every
 * py-amqp `L` tag, at any depth, replaced by `l`. Returns the input itself when it holds no `L`.
 * Unknown tags stop the walk and leave the rest untouched, for amqplib to report.
 */
export function translatePyAmqpTags(slice: Buffer): Buffer {
  let copy: Buffer | null = null;
  const fix = (at: number) => {
    copy ??= Buffer.from(slice);
    copy[at] = 0x6c; // 'l'
  };
  // Walks a value starting at its tag; returns the offset after it, or -1 on an unknown tag.
  const walkValue = (offset: number): number => {
    const tag = String.fromCharCode(slice[offset]!);
    offset++;
    if (tag === 'L') fix(offset - 1);
    if (tag === 'F') {
      const len = slice.readUInt32BE(offset);
      return walkTable(offset + 4, offset + 4 + len) < 0 ? -1 : offset + 4 + len;
    }
    if (tag === 'A') {
      const len = slice.readUInt32BE(offset);
      const end = offset + 4 + len;
      for (let at = offset + 4; at < end;) {
        at = walkValue(at);
        if (at < 0) return -1;
      }
      return end;
    }
    const size = SIZES[tag];
    if (size === undefined) return -1;
    return size < 0 ? offset + 4 + slice.readUInt32BE(offset) : offset + size;
  };
  const walkTable = (offset: number, end: number): number => {
    while (offset < end) {
      offset += 1 + slice.readUInt8(offset);
      offset = walkValue(offset);
      if (offset < 0) return -1;
    }
    return end;
  };
  try {
    walkTable(0, slice.length);
  } catch {
    // a truncated table: leave it to amqplib's decoder to report
  }
  return copy ?? slice;
}
