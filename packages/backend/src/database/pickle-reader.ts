/**
 * A safe pickle reader for plain values: what Python's SQLAlchemy `PickleType` stores for a Celery
 * result (`None`, bool, int, float, str, bytes, list, tuple, dict, set), read without an unpickler.
 * It is a small stack machine over a fixed set of opcodes; any other opcode stops it with an
 * {@link UnsafePickleError} before anything is built from it. Nothing is ever imported, looked up or
 * called: the opcodes that would (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX,
 * EXT1/2/4, PERSID, BINPERSID) are refused in plain mode.
 *
 * Accepted (protocols 0–5): PROTO, FRAME, STOP; MARK, POP, POP_MARK, DUP; NONE, NEWTRUE, NEWFALSE;
 * INT, BININT, BININT1, BININT2, LONG, LONG1, LONG4; FLOAT, BINFLOAT; UNICODE, BINUNICODE,
 * SHORT_BINUNICODE, BINUNICODE8, BINSTRING and SHORT_BINSTRING (Python 2 str, ASCII as Python 3
 * reads them); BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8; EMPTY_LIST, LIST, APPEND, APPENDS;
 * EMPTY_TUPLE, TUPLE, TUPLE1–3; EMPTY_DICT, DICT, SETITEM, SETITEMS; EMPTY_SET, ADDITEMS, FROZENSET;
 * PUT, BINPUT, LONG_BINPUT, MEMOIZE, GET, BINGET, LONG_BINGET.
 *
 * What comes out, as kombu's JSON would give it: None → null; int → number, or bigint past ±2^53;
 * float → number; str → string; bytes → Buffer; list, tuple, set → array; dict → plain object, its
 * keys turned into strings as Python's `json.dumps` does (`1` → "1", `1.5` → "1.5", `True` → "true",
 * `None` → "null"); a tuple or bytes key is refused. A key `__proto__` is an own property.
 *
 * Limits (a hostile cell cannot make later code loop or blow the stack): no value containing
 * itself; at most `maxDepth` levels of nesting (default 1000, Python's own recursion limit); at most
 * `maxItems` values counting every reference to a shared container again (default 10,000,000).
 *
 * Symbolic mode, only for the group table, where Python stores a pickled `GroupResult` object:
 * GLOBAL/STACK_GLOBAL give inert {@link PickleGlobal} records, REDUCE/NEWOBJ inert
 * {@link PickleCall} records and BUILD sets their `state`. Still nothing is resolved or called; the
 * caller reads ids out of the records (`group-result-pickle.ts`).
 */
import { PickleFormatError, UnsafePickleError } from '../errors.js';
import { OP, opcodeName } from './pickle-opcodes.js';
import { PickleCall, PickleGlobal } from './python-values.js';
import { decodeUtf8SurrogatePass } from './wtf8.js';

export interface LoadsPickleOptions {
  /** `'plain'` (default): plain values only. `'symbolic'`: also globals and calls as inert records. */
  mode?: 'plain' | 'symbolic';
  /** Deepest nesting of containers accepted. Default 1000. */
  maxDepth?: number;
  /** Most values in the result, a shared container counted once per reference. Default 10,000,000. */
  maxItems?: number;
}

/** Opcodes that name or call code: refused in plain mode (the symbolic mode records some of them). */
const CODE_OPCODES: ReadonlySet<number> = new Set([
  OP.GLOBAL, OP.STACK_GLOBAL, OP.REDUCE, OP.BUILD, OP.INST, OP.OBJ, OP.NEWOBJ, OP.NEWOBJ_EX,
  OP.EXT1, OP.EXT2, OP.EXT4, OP.PERSID, OP.BINPERSID,
]);
const SYMBOLIC_OPCODES: ReadonlySet<number> = new Set([OP.GLOBAL, OP.STACK_GLOBAL, OP.REDUCE, OP.NEWOBJ, OP.BUILD]);

/** A Python float while it may still become a dict key (its repr differs from an int's). */
class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * Reads the plain value a pickle holds (see the module doc).
 * @throws UnsafePickleError (code CQ_BACKEND_PICKLE_UNSAFE) at the first refused opcode;
 *   PickleFormatError (code CQ_BACKEND_PICKLE_FORMAT) for a truncated or malformed pickle or one past a limit.
 */
export function loadsPickle(data: Uint8Array, options: LoadsPickleOptions = {}): unknown {
  const value = new PickleReader(data, options.mode === 'symbolic').load();
  checkShape(value, options.maxDepth ?? 1000, options.maxItems ?? 10_000_000);
  return value;
}

class PickleReader {
  private pos = 0;
  private op = 0;
  private stack: unknown[] = [];
  private readonly metastack: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly lists = new WeakSet<unknown[]>();
  private readonly sets = new WeakSet<unknown[]>();
  private readonly dicts = new WeakSet<object>();
  private readonly buf: Buffer;

  constructor(data: Uint8Array, private readonly symbolic: boolean) {
    this.buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  load(): unknown {
    for (;;) {
      const at = this.pos;
      if (at >= this.buf.length) throw this.format('the pickle ends without STOP');
      const op = this.buf[this.pos++]!;
      this.op = at;
      if (CODE_OPCODES.has(op) && !(this.symbolic && SYMBOLIC_OPCODES.has(op))) {
        throw new UnsafePickleError(
          `refused pickle opcode ${opcodeName(op)} at byte ${at}: it names or calls Python code, and only plain values ` +
            '(None, bool, int, float, str, bytes, list, tuple, dict) are read; nothing was executed',
          opcodeName(op), at,
        );
      }
      if (op === OP.STOP) return this.stop();
      this.step(op);
    }
  }

  private stop(): unknown {
    const value = this.pop();
    if (this.stack.length > 0 || this.metastack.length > 0) throw this.format('values left on the stack at STOP');
    if (this.pos !== this.buf.length) throw this.format(`${this.buf.length - this.pos} bytes after STOP`);
    return unbox(value);
  }

  private step(op: number): void {
    switch (op) {
      case OP.PROTO: {
        const proto = this.u8();
        if (proto > 5) throw this.format(`unsupported pickle protocol ${proto}`);
        return;
      }
      case OP.FRAME: {
        const length = this.u64();
        if (length > this.buf.length - this.pos) throw this.format('a FRAME longer than the pickle');
        return;
      }
      case OP.MARK:
        this.metastack.push(this.stack);
        this.stack = [];
        return;
      case OP.POP:
        if (this.stack.length > 0) this.stack.pop();
        else this.popMark();
        return;
      case OP.POP_MARK:
        this.popMark();
        return;
      case OP.DUP:
        this.push(this.top());
        return;
      case OP.NONE: return this.push(null);
      case OP.NEWTRUE: return this.push(true);
      case OP.NEWFALSE: return this.push(false);
      case OP.INT: return this.push(this.textInt());
      case OP.BININT: return this.push(this.read(4).readInt32LE(0));
      case OP.BININT1: return this.push(this.u8());
      case OP.BININT2: return this.push(this.read(2).readUInt16LE(0));
      case OP.LONG: return this.push(this.textLong());
      case OP.LONG1: return this.push(decodeLong(this.read(this.u8())));
      case OP.LONG4: {
        const n = this.read(4).readInt32LE(0);
        if (n < 0) throw this.format('LONG4 with a negative length');
        return this.push(decodeLong(this.read(n)));
      }
      case OP.FLOAT: return this.push(new PyFloat(this.textFloat()));
      case OP.BINFLOAT: return this.push(new PyFloat(this.read(8).readDoubleBE(0)));
      case OP.UNICODE: return this.push(rawUnicodeEscape(this.line()));
      case OP.SHORT_BINUNICODE: return this.push(this.utf8(this.u8()));
      case OP.BINUNICODE: return this.push(this.utf8(this.read(4).readUInt32LE(0)));
      case OP.BINUNICODE8: return this.push(this.utf8(this.u64()));
      case OP.SHORT_BINSTRING: return this.push(this.ascii(this.u8()));
      case OP.BINSTRING: {
        const n = this.read(4).readInt32LE(0);
        if (n < 0) throw this.format('BINSTRING with a negative length');
        return this.push(this.ascii(n));
      }
      case OP.SHORT_BINBYTES: return this.push(Buffer.from(this.read(this.u8())));
      case OP.BINBYTES: return this.push(Buffer.from(this.read(this.read(4).readUInt32LE(0))));
      case OP.BINBYTES8:
      case OP.BYTEARRAY8: return this.push(Buffer.from(this.read(this.u64())));
      case OP.EMPTY_LIST: return this.push(this.newList([]));
      case OP.LIST: return this.push(this.newList(this.popMark().map(unbox)));
      case OP.APPEND: {
        const item = unbox(this.pop());
        this.list().push(item);
        return;
      }
      case OP.APPENDS: {
        const items = this.popMark().map(unbox);
        const list = this.list();
        for (const item of items) list.push(item);
        return;
      }
      case OP.EMPTY_TUPLE: return this.push([]);
      case OP.TUPLE: return this.push(this.popMark().map(unbox));
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        if (this.stack.length < n) throw this.format('a tuple opcode with too few items on the stack');
        return this.push(this.stack.splice(this.stack.length - n, n).map(unbox));
      }
      case OP.EMPTY_DICT: return this.push(this.newDict());
      case OP.DICT: {
        const items = this.popMark();
        if (items.length % 2 !== 0) throw this.format('DICT with an odd number of items');
        const dict = this.newDict();
        for (let i = 0; i < items.length; i += 2) this.setItem(dict, items[i], items[i + 1]);
        return this.push(dict);
      }
      case OP.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.setItem(this.dict(), key, value);
        return;
      }
      case OP.SETITEMS: {
        const items = this.popMark();
        if (items.length % 2 !== 0) throw this.format('SETITEMS with an odd number of items');
        const dict = this.dict();
        for (let i = 0; i < items.length; i += 2) this.setItem(dict, items[i], items[i + 1]);
        return;
      }
      case OP.EMPTY_SET: {
        const set: unknown[] = [];
        this.sets.add(set);
        return this.push(set);
      }
      case OP.ADDITEMS: {
        const items = this.popMark().map(unbox);
        const set = this.top();
        if (!Array.isArray(set) || !this.sets.has(set)) throw this.format('ADDITEMS on something other than a set');
        for (const item of items) set.push(item);
        return;
      }
      case OP.FROZENSET: return this.push(this.popMark().map(unbox));
      case OP.PUT: return this.memoPut(this.textIndex());
      case OP.BINPUT: return this.memoPut(this.u8());
      case OP.LONG_BINPUT: return this.memoPut(this.read(4).readUInt32LE(0));
      case OP.MEMOIZE: return this.memoPut(this.memo.size);
      case OP.GET: return this.push(this.memoGet(this.textIndex()));
      case OP.BINGET: return this.push(this.memoGet(this.u8()));
      case OP.LONG_BINGET: return this.push(this.memoGet(this.read(4).readUInt32LE(0)));
      // symbolic mode only (refused in plain mode before reaching here)
      case OP.GLOBAL: {
        const module = this.line().toString('utf8');
        return this.push(new PickleGlobal(module, this.line().toString('utf8')));
      }
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw this.format('STACK_GLOBAL of a non-string name');
        return this.push(new PickleGlobal(module, name));
      }
      case OP.REDUCE:
      case OP.NEWOBJ: {
        const args = this.pop();
        const callable = this.pop();
        if (!Array.isArray(args)) throw this.format(`${opcodeName(op)} whose arguments are not a tuple`);
        return this.push(new PickleCall(callable, args));
      }
      case OP.BUILD: {
        const state = unbox(this.pop());
        const target = this.top();
        if (!(target instanceof PickleCall)) throw this.format('BUILD on something other than an object');
        target.state = state;
        return;
      }
      default:
        throw new UnsafePickleError(
          `refused pickle opcode ${opcodeName(op)} at byte ${this.op}: not one of the plain-value opcodes this reader accepts`,
          opcodeName(op), this.op,
        );
    }
  }

  // ------------------------------------------------------------------------------------ stack

  private push(value: unknown): void {
    this.stack.push(value);
  }

  private pop(): unknown {
    if (this.stack.length === 0) throw this.format('stack underflow');
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) throw this.format('stack underflow');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const items = this.stack;
    const previous = this.metastack.pop();
    if (!previous) throw this.format('no MARK to pop to');
    this.stack = previous;
    return items;
  }

  private newList(items: unknown[]): unknown[] {
    this.lists.add(items);
    return items;
  }

  private list(): unknown[] {
    const list = this.top();
    if (!Array.isArray(list) || !this.lists.has(list)) throw this.format('APPEND on something other than a list');
    return list;
  }

  private newDict(): Record<string, unknown> {
    const dict: Record<string, unknown> = {};
    this.dicts.add(dict);
    return dict;
  }

  private dict(): Record<string, unknown> {
    const dict = this.top();
    if (typeof dict !== 'object' || dict === null || !this.dicts.has(dict)) throw this.format('SETITEM on something other than a dict');
    return dict as Record<string, unknown>;
  }

  private setItem(dict: Record<string, unknown>, key: unknown, value: unknown): void {
    const name = this.keyText(key);
    if (name === '__proto__') Object.defineProperty(dict, name, { value: unbox(value), enumerable: true, writable: true, configurable: true });
    else dict[name] = unbox(value);
  }

  /** A dict key as Python's `json.dumps` writes it. */
  private keyText(key: unknown): string {
    if (typeof key === 'string') return key;
    if (key instanceof PyFloat) return pythonFloatJson(key.value);
    if (typeof key === 'number' || typeof key === 'bigint') return String(key);
    if (typeof key === 'boolean') return key ? 'true' : 'false';
    if (key === null) return 'null';
    throw this.format(`a dict key of type ${Array.isArray(key) ? 'tuple' : Buffer.isBuffer(key) ? 'bytes' : 'object'} cannot be read as plain data`);
  }

  private memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  private memoGet(index: number): unknown {
    if (!this.memo.has(index)) throw this.format(`memo key ${index} was never stored`);
    return this.memo.get(index);
  }

  // ------------------------------------------------------------------------------------ input

  private read(n: number): Buffer {
    if (n > this.buf.length - this.pos) throw this.format('the pickle is truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    return this.read(1)[0]!;
  }

  private u64(): number {
    const n = this.read(8).readBigUInt64LE(0);
    if (n > BigInt(this.buf.length)) throw this.format('a length past the end of the pickle');
    return Number(n);
  }

  /** Bytes up to the next newline (excluded), for the text opcodes of protocol 0. */
  private line(): Buffer {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end === -1) throw this.format('the pickle is truncated (no newline)');
    const out = this.buf.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  private utf8(n: number): string {
    const text = decodeUtf8SurrogatePass(this.read(n));
    if (text === null) throw this.format('a str that is not UTF-8');
    return text;
  }

  private ascii(n: number): string {
    const bytes = this.read(n);
    if (bytes.some((b) => b > 0x7f)) throw this.format('a Python 2 str that is not ASCII');
    return bytes.toString('latin1');
  }

  private textInt(): unknown {
    const text = this.line().toString('latin1');
    if (text === '00') return false;
    if (text === '01') return true;
    if (!/^[+-]?\d+$/.test(text)) throw this.format(`INT ${JSON.stringify(text)} is not a decimal integer`);
    return intValue(BigInt(text));
  }

  private textLong(): unknown {
    const text = this.line().toString('latin1').replace(/L$/, '');
    if (!/^[+-]?\d+$/.test(text)) throw this.format(`LONG ${JSON.stringify(text)} is not a decimal integer`);
    return intValue(BigInt(text));
  }

  private textFloat(): number {
    const text = this.line().toString('latin1').trim().toLowerCase();
    const special: Record<string, number> = { nan: NaN, '+nan': NaN, '-nan': NaN, inf: Infinity, '+inf': Infinity, infinity: Infinity, '-inf': -Infinity, '-infinity': -Infinity };
    if (text in special) return special[text]!;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(text)) throw this.format(`FLOAT ${JSON.stringify(text)} is not a number`);
    return Number(text);
  }

  private textIndex(): number {
    const text = this.line().toString('latin1');
    if (!/^\d+$/.test(text)) throw this.format(`memo key ${JSON.stringify(text)} is not a number`);
    return Number(text);
  }

  private format(reason: string): PickleFormatError {
    return new PickleFormatError(`cannot read the pickle: ${reason} (at byte ${this.op})`, this.op);
  }
}

function unbox(value: unknown): unknown {
  return value instanceof PyFloat ? value.value : value;
}

/** An int as kombu's JSON gives it: a number within ±2^53, else a bigint. */
function intValue(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** CPython `decode_long`: little-endian two's complement. */
function decodeLong(bytes: Buffer): number | bigint {
  if (bytes.length === 0) return 0;
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return intValue(n);
}

/** Python's `raw-unicode-escape` decoding (protocol 0 UNICODE): Latin-1 with `\uXXXX` and `\UXXXXXXXX`. */
function rawUnicodeEscape(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, short?: string, long?: string) =>
    String.fromCodePoint(Number.parseInt(short ?? long ?? '0', 16)));
}

/** A float key as Python's `json.dumps` writes it (`float.__repr__`, or NaN/Infinity/-Infinity). */
function pythonFloatJson(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp >= -4 && exp < 16) {
    let text: string;
    if (exp < 0) text = `0.${'0'.repeat(-exp - 1)}${digits}`;
    else if (digits.length > exp + 1) text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    else text = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
    return sign + text;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/**
 * Refuses a value that contains itself, nests deeper than `maxDepth` or expands past `maxItems`
 * (every reference to a shared container counted again). Iterative: a deep value cannot overflow the stack.
 */
function checkShape(root: unknown, maxDepth: number, maxItems: number): void {
  const done = new Map<object, { size: number; depth: number }>();
  const open = new Set<object>();
  const children = (node: object): unknown[] => {
    if (Array.isArray(node)) return node;
    if (node instanceof PickleCall) return [node.callable, ...node.args, node.state];
    if (Buffer.isBuffer(node) || node instanceof PickleGlobal) return [];
    return Object.values(node);
  };
  const isNode = (v: unknown): v is object => typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !(v instanceof PickleGlobal);
  if (!isNode(root)) return;
  const work: Array<{ node: object; kids: unknown[]; next: number; size: number; depth: number }> = [];
  const enter = (node: object): void => {
    open.add(node);
    work.push({ node, kids: children(node), next: 0, size: 1, depth: 1 });
    if (work.length > maxDepth) throw new PickleFormatError(`cannot read the pickle: nested deeper than ${maxDepth} levels`, 0);
  };
  enter(root);
  while (work.length > 0) {
    const frame = work[work.length - 1]!;
    if (frame.next < frame.kids.length) {
      const kid = frame.kids[frame.next++];
      if (!isNode(kid)) {
        frame.size++;
      } else if (open.has(kid)) {
        throw new PickleFormatError('cannot read the pickle: a value that contains itself is not plain data', 0);
      } else {
        const known = done.get(kid);
        if (known) {
          frame.size += known.size;
          frame.depth = Math.max(frame.depth, known.depth + 1);
          if (frame.depth > maxDepth) throw new PickleFormatError(`cannot read the pickle: nested deeper than ${maxDepth} levels`, 0);
        } else {
          enter(kid);
        }
      }
      if (frame.size > maxItems) throw new PickleFormatError(`cannot read the pickle: more than ${maxItems} values once shared parts are counted again`, 0);
      continue;
    }
    work.pop();
    open.delete(frame.node);
    done.set(frame.node, { size: frame.size, depth: frame.depth });
    const parent = work[work.length - 1];
    if (parent) {
      parent.size += frame.size;
      parent.depth = Math.max(parent.depth, frame.depth + 1);
      if (parent.size > maxItems) throw new PickleFormatError(`cannot read the pickle: more than ${maxItems} values once shared parts are counted again`, 0);
    }
  }
}
