/**
 * A tolerant JSON parser for text Python's `json.dumps` writes: standard JSON plus the bare tokens
 * `NaN`, `Infinity`, `-Infinity` (`allow_nan=True`) and integers of any size (those beyond ±2^53
 * become `bigint`). Used only when the text holds such tokens; plain text goes to `JSON.parse`.
 * Internal module: the public entry point is `kombuJson.parse` in `./json.ts`.
 */

import { DecodeError } from '../errors.js';
import { MAX_DECODED_DEPTH, depthError } from './limits.js';

/** Integers with |n| above this come back as bigint (same bound as msgpackr's `int64AsType: 'auto'`). */
const MAX_EXACT = 2n ** 53n;
const NUMBER_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Turn a JSON integer literal into a number, or a bigint when it is beyond ±2^53. */
export function integerFromLiteral(literal: string): number | bigint {
  const digits = literal.charCodeAt(0) === 0x2d ? literal.length - 1 : literal.length;
  if (digits < 16) return Number(literal);
  const big = BigInt(literal);
  return big > MAX_EXACT || big < -MAX_EXACT ? big : Number(big);
}

/** Hook applied to every object when it is complete (bottom-up), like Python's `object_hook`. */
export type ObjectHook = (object: Record<string, unknown>) => unknown;

class Parser {
  pos = 0;
  /** Arrays and objects open at `pos`: the parser recurses once per level, so it stops at the limit. */
  depth = 0;
  constructor(
    readonly text: string,
    readonly hook: ObjectHook | undefined,
  ) {}

  fail(what: string): never {
    const near = JSON.stringify(this.text.slice(this.pos, this.pos + 20));
    throw new DecodeError(`invalid JSON at position ${this.pos}: ${what} (near ${near})`);
  }

  skip(): number {
    const { text } = this;
    let c = text.charCodeAt(this.pos);
    while (WHITESPACE.has(c)) c = text.charCodeAt(++this.pos);
    return c;
  }

  word(word: string, value: unknown): unknown {
    if (!this.text.startsWith(word, this.pos)) this.fail('unexpected token');
    this.pos += word.length;
    return value;
  }

  value(): unknown {
    const c = this.skip();
    switch (c) {
      case 0x7b: // {
      case 0x5b: { // [
        if (++this.depth > MAX_DECODED_DEPTH) throw depthError('JSON text');
        const nested = c === 0x7b ? this.object() : this.array();
        this.depth--;
        return nested;
      }
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.word('true', true);
      case 0x66: // f
        return this.word('false', false);
      case 0x6e: // n
        return this.word('null', null);
      case 0x4e: // N
        return this.word('NaN', NaN);
      case 0x49: // I
        return this.word('Infinity', Infinity);
      default:
        if (c === 0x2d && this.text.charCodeAt(this.pos + 1) === 0x49) {
          this.pos++;
          this.word('Infinity', null);
          return -Infinity;
        }
        return this.number();
    }
  }

  number(): number | bigint {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.text);
    if (!m) this.fail('unexpected token');
    this.pos = NUMBER_RE.lastIndex;
    const literal = m[0];
    return m[1] === undefined && m[2] === undefined ? integerFromLiteral(literal) : Number(literal);
  }

  string(): string {
    const { text } = this;
    const start = this.pos; // at the opening quote
    let escaped = false;
    for (let i = start + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        if (!escaped) return text.slice(start + 1, i);
        try {
          return JSON.parse(text.slice(start, i + 1)) as string;
        } catch (error) {
          this.pos = start;
          this.fail(`bad string escape: ${(error as Error).message}`);
        }
      }
      if (c === 0x5c) {
        escaped = true;
        i++;
      } else if (c < 0x20) {
        this.pos = i;
        this.fail('control character in string');
      }
    }
    return this.fail('unterminated string');
  }

  array(): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    if (this.skip() === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      const c = this.skip();
      this.pos++;
      if (c === 0x5d) return out;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  object(): unknown {
    const out: Record<string, unknown> = {};
    this.pos++;
    if (this.skip() === 0x7d) {
      this.pos++;
      return this.hook ? this.hook(out) : out;
    }
    for (;;) {
      if (this.skip() !== 0x22) this.fail('expected a string key');
      const key = this.string();
      if (this.skip() !== 0x3a) this.fail("expected ':'");
      this.pos++;
      const value = this.value();
      // `__proto__` must become an own property, as JSON.parse does, never the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      const c = this.skip();
      this.pos++;
      if (c === 0x7d) return this.hook ? this.hook(out) : out;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}

/**
 * Parse `text` accepting Python's extensions (see the module header).
 * `hook`, when given, replaces each completed object by its return value.
 * @throws DecodeError with the position of the first syntax error.
 */
export function parseTolerant(text: string, hook?: ObjectHook): unknown {
  const parser = new Parser(text, hook);
  const value = parser.value();
  parser.skip();
  if (parser.pos < text.length) parser.fail('unexpected data after the JSON value');
  return value;
}
