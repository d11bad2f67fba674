/**
 * kombu-compatible JSON (`kombu/utils/json.py`), usable on its own: the Redis transport envelope and
 * the result backends use it as well as the `json` serializer. Rules are in
 * `/work/shared/reference/celery-protocol.md` §2.
 */

import { EncodeError, DecodeError } from '../errors.js';
import { bytesEnvelopeJson, decodeEnvelopes, envelopeHook } from './envelope.js';
import { formatPythonIsoDate } from './isodate.js';
import { parseTolerant } from './json-parse.js';

// Text that may hold Python-only tokens: NaN/Infinity, or a 16+ digit integer (a possible > 2^53 int).
// False positives (the same inside a string) only cost the slower parser.
const NEEDS_TOLERANT_RE = /NaN|Infinity|(?:^|[[,:\s-])\d{16}/;
// Text that may hold an envelope key: `__type__` literally, or any of its letters escaped as \u00XX.
const MAYBE_ENVELOPE_RE = /__type__|\\u00(?:5[fF]|7[049]|65)/;
// Past this depth, start checking the ancestor stack for cycles (keeps the common case cheap).
const CYCLE_CHECK_DEPTH = 64;

function parse(text: string): unknown {
  const envelopes = MAYBE_ENVELOPE_RE.test(text);
  if (NEEDS_TOLERANT_RE.test(text)) return parseTolerant(text, envelopes ? envelopeHook : undefined);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  return envelopes ? decodeEnvelopes(value) : value;
}

/** An encoding failure on its way up; each level adds its key so the message can name the path. */
class WriteError extends Error {
  readonly path: string[] = [];
  static at(error: unknown, key: string): WriteError {
    const wrapped =
      error instanceof WriteError
        ? error
        : new WriteError(error instanceof Error ? error.message : String(error), { cause: error });
    wrapped.path.unshift(key);
    return wrapped;
  }
}

function writeNumber(n: number): string {
  if (Number.isFinite(n)) return String(n);
  return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
}

function mapKey(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return key;
    case 'number':
      return writeNumber(key);
    case 'bigint':
    case 'boolean':
      return String(key);
    default:
      if (key === null) return 'null';
      throw new WriteError(`a Map key of type ${typeof key} is not JSON serializable`);
  }
}

/** Encoder state: the ancestor stack, consulted for cycles only when it gets deep. */
class Writer {
  readonly stack: object[] = [];

  /** The JSON text of `value`, or undefined when the value is to be skipped (`undefined`). */
  write(value: unknown, key: string): string | undefined {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return writeNumber(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'bigint':
        return value.toString();
      case 'undefined':
        return undefined;
      case 'object':
        return value === null ? 'null' : this.object(value, key);
      default:
        throw new WriteError(`a ${typeof value} is not JSON serializable`);
    }
  }

  object(value: object, key: string): string {
    const { stack } = this;
    if (stack.length >= CYCLE_CHECK_DEPTH && stack.includes(value)) throw new WriteError('circular reference');
    stack.push(value);
    try {
      if (Array.isArray(value)) return this.array(value);
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        if (value instanceof Date) return `"${formatPythonIsoDate(value)}"`;
        if (value instanceof Uint8Array) return bytesEnvelopeJson(value);
        if (value instanceof Map) return this.map(value);
        if (value instanceof Set) throw new WriteError('a Set is not JSON serializable (as in kombu)');
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
          return this.write(value.valueOf(), key) as string;
        }
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return this.write(toJSON.call(value, key), key) ?? 'null';
      return this.plain(value as Record<string, unknown>);
    } finally {
      stack.pop();
    }
  }

  array(items: readonly unknown[]): string {
    let out = '[';
    for (let i = 0; i < items.length; i++) {
      try {
        out += (i > 0 ? ',' : '') + (this.write(items[i], String(i)) ?? 'null');
      } catch (error) {
        throw WriteError.at(error, String(i));
      }
    }
    return out + ']';
  }

  plain(object: Record<string, unknown>): string {
    let out = '';
    let written = 0;
    for (const key of Object.keys(object)) {
      let json: string | undefined;
      try {
        json = this.write(object[key], key);
      } catch (error) {
        throw WriteError.at(error, key);
      }
      if (json === undefined) continue;
      out += `${written++ ? ',' : ''}${JSON.stringify(key)}:${json}`;
    }
    if (written === 2 && Object.hasOwn(object, '__type__') && Object.hasOwn(object, '__value__')) {
      throw new WriteError(ENVELOPE_LOOKALIKE);
    }
    return `{${out}}`;
  }

  map(map: Map<unknown, unknown>): string {
    let out = '';
    const keys = new Set<string>();
    for (const [rawKey, item] of map) {
      const key = mapKey(rawKey);
      let json: string | undefined;
      try {
        json = this.write(item, key);
      } catch (error) {
        throw WriteError.at(error, key);
      }
      if (json === undefined) continue;
      out += `${keys.size ? ',' : ''}${JSON.stringify(key)}:${json}`;
      keys.add(key);
    }
    if (keys.size === 2 && keys.has('__type__') && keys.has('__value__')) throw new WriteError(ENVELOPE_LOOKALIKE);
    return `{${out}}`;
  }
}

const ENVELOPE_LOOKALIKE =
  'an object whose keys are exactly __type__ and __value__ would be read as a kombu envelope';

/**
 * True when `value` holds only what `JSON.stringify` writes exactly as kombu would: strings, finite
 * numbers, booleans, null, undefined, arrays and plain objects without `toJSON` or an `__type__` key,
 * at most CYCLE_CHECK_DEPTH deep (so no cycles). Such values take the native fast path.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= CYCLE_CHECK_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      if ('toJSON' in value || Object.hasOwn(value, '__type__')) return false;
      for (const key in value) {
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function stringify(value: unknown): string {
  try {
    if (isPlainJson(value, 0)) return JSON.stringify(value) ?? 'null';
    return new Writer().write(value, '') ?? 'null';
  } catch (error) {
    const keys = error instanceof WriteError ? error.path : [];
    const shown = keys.length > 12 ? [...keys.slice(0, 5), '…', ...keys.slice(-5)] : keys;
    const path = shown.length ? ` at ${shown.join('.')}` : '';
    const cause = error instanceof WriteError ? error.cause : error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new EncodeError(`cannot encode value as JSON${path}: ${reason}`, cause === undefined ? {} : { cause });
  }
}

/**
 * kombu's JSON codec.
 *
 * `parse(text)` reads what Python's `json.dumps` writes: standard JSON plus bare `NaN`, `Infinity`,
 * `-Infinity`; integers beyond ±2^53 as exact `bigint`; kombu ≥ 5.3 envelopes decoded (`datetime` →
 * `Date`, `date`/`time`/`decimal` → string, `uuid` → hyphenated lowercase string, `bytes`/`base64` →
 * `Buffer`). Throws DecodeError on bad syntax or an unknown envelope `__type__` (as kombu).
 *
 * `stringify(value)` writes compact JSON that Python's `json.loads` and kombu read: `bigint` as
 * digits; `NaN`/`±Infinity` as bare tokens; `Date` as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (plain string,
 * readable by kombu 5.2 too); `Buffer`/`Uint8Array` as a `bytes` (valid UTF-8) or `base64` envelope;
 * `toJSON()` honoured; `undefined` omitted in objects and `null` in arrays; top-level `undefined` →
 * `null`; `Map` → object (string, number, bigint, boolean or null keys). Throws EncodeError for a `Set`,
 * a function or symbol, a cycle, an invalid Date, or a user object whose keys are exactly
 * `__type__`/`__value__` (Python would mistake it for an envelope).
 */
export const kombuJson: { stringify(value: unknown): string; parse(text: string): unknown } = {
  stringify,
  parse,
};
