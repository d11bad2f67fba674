/**
 * Python `repr()` of JavaScript values, as a Python process would print the same data after
 * decoding it from JSON. Used for `argsrepr`/`kwargsrepr` (through saferepr.ts) and for logs.
 *
 * Mapping: null/undefined → `None`; booleans → `True`/`False`; an integer-valued number or a
 * bigint → int (`3`); any other number → float (`1.5`, `1e-05`, `inf`, `nan`); string → str;
 * Uint8Array → bytes; Array → list; Set → set; Map and other objects → dict; Date → an aware
 * `datetime.datetime(...)`.
 */

const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Length in code points, as Python's `len(str)`. */
export function pyLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** First `n` code points of `s`, as Python's `s[:n]`. */
export function pySlice(s: string, n: number): string {
  if (!SURROGATE.test(s)) return s.slice(0, n);
  return Array.from(s).slice(0, n).join('');
}

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** Python `repr(str)`: single quotes unless the text has `'` and no `"`; escapes as CPython. */
export function reprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp < 0x7f) out += ch;
    else if (cp !== 0x20 && NON_PRINTABLE.test(ch)) {
      out += cp <= 0xff ? '\\x' + hex(cp, 2) : cp <= 0xffff ? '\\u' + hex(cp, 4) : '\\U' + hex(cp, 8);
    } else out += ch;
  }
  return out + quote;
}

/** Python `repr(bytes)`: `b'...'`, printable ASCII kept, other bytes as `\xNN`. */
export function reprBytes(b: Uint8Array): string {
  const hasSingle = b.includes(0x27);
  const quote = hasSingle && !b.includes(0x22) ? 0x22 : 0x27;
  let out = 'b' + String.fromCharCode(quote);
  for (const c of b) {
    if (c === quote || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + hex(c, 2);
    else out += String.fromCharCode(c);
  }
  return out + String.fromCharCode(quote);
}

/**
 * Python `repr(float)` of a double: the shortest round-trip digits, positional when the decimal
 * exponent is in [-4, 16), else `d.ddde±XX`; `inf`, `-inf`, `nan`. Integer-valued input keeps
 * its `.0`.
 */
export function reprFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa = '', expPart = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expPart);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** A JS number as Python prints it after JSON decoding: integer-valued → int, else float. */
export function reprNumber(x: number): string {
  if (Number.isInteger(x)) return BigInt(x).toString();
  return reprFloat(x);
}

/** `datetime.datetime(y, m, d, H, M[, S[, us]], tzinfo=datetime.timezone.utc)` of a Date. */
export function reprDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return "datetime.datetime(invalid)";
  const parts = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
  const sec = d.getUTCSeconds();
  const us = d.getUTCMilliseconds() * 1000;
  if (us) parts.push(sec, us);
  else if (sec) parts.push(sec);
  return `datetime.datetime(${parts.join(', ')}, tzinfo=datetime.timezone.utc)`;
}

/** Entries of a dict-like value (Map or object) in iteration order. */
export function dictEntries(value: object): [unknown, unknown][] {
  if (value instanceof Map) return [...value.entries()];
  return Object.entries(value);
}

/** repr of a value that has no containers inside it; `undefined` when it is a container. */
export function reprScalar(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return reprNumber(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return reprStr(value);
    case 'symbol':
      return reprStr(value.toString());
    case 'function':
      return `<function ${value.name || '<lambda>'}>`;
    default:
      break;
  }
  if (value instanceof Uint8Array) return reprBytes(value);
  if (value instanceof Date) return reprDate(value);
  return undefined;
}

function reprInner(value: unknown, seen: Set<object>): string {
  const scalar = reprScalar(value);
  if (scalar !== undefined) return scalar;
  const obj = value as object;
  if (seen.has(obj)) return Array.isArray(obj) ? '[...]' : '{...}';
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return `[${obj.map((v) => reprInner(v, seen)).join(', ')}]`;
    if (obj instanceof Set) {
      return obj.size === 0 ? 'set()' : `{${[...obj].map((v) => reprInner(v, seen)).join(', ')}}`;
    }
    const items = dictEntries(obj).map(([k, v]) => `${reprInner(k, seen)}: ${reprInner(v, seen)}`);
    return `{${items.join(', ')}}`;
  } finally {
    seen.delete(obj);
  }
}

/**
 * Python `repr()` of `value` (see the module doc for the type mapping). Object keys are printed
 * in JavaScript iteration order, which puts integer-like keys first.
 *
 * @param maxLength when given and the repr is longer (in code points), it is cut to
 *   `maxLength` code points and `...` is appended.
 */
export function pythonRepr(value: unknown, maxLength?: number): string {
  const out = reprInner(value, new Set());
  if (maxLength !== undefined && pyLength(out) > maxLength) return pySlice(out, maxLength) + '...';
  return out;
}
