/**
 * A pickle writer for plain values: the bytes CPython's `pickle.dumps(value, protocol=5)` gives (the
 * protocol SQLAlchemy's `PickleType` uses, `pickle.HIGHEST_PROTOCOL`), opcode for opcode and frame
 * for frame, for the value Python's `json.loads` would build from the same data.
 *
 * Values, as kombu's JSON takes them (`@cq/kombu` `kombuJson`), so a result reads back the same from
 * every backend:
 *
 * | JS                                   | Python                                   |
 * |--------------------------------------|------------------------------------------|
 * | null, undefined (top level, in arrays) | None (undefined in an object: key left out) |
 * | boolean                              | bool                                     |
 * | integral number below 1e21, bigint   | int (a number: the one its JSON text names) |
 * | other number (NaN, ±Infinity too)    | float                                    |
 * | string                               | str (lone surrogates as `surrogatepass`) |
 * | Uint8Array / Buffer                  | bytes                                    |
 * | array                                | list                                     |
 * | plain object, Map                    | dict (Map keys written as kombu writes them) |
 * | Date                                 | str, Python's `isoformat()` of UTC       |
 * | {@link PickleTuple}                  | tuple                                    |
 * | {@link PickleCall} of a {@link PickleGlobal} | `module.name(*args)` (REDUCE; BUILD with `state`) |
 *
 * `toJSON()` is honoured, String/Number/Boolean objects are unwrapped and other objects are written
 * as their own enumerable fields. A Set, function or symbol
 * throws kombu's EncodeError, as with the JSON serializer.
 *
 * Object identity follows CPython: an object met twice is written once and fetched from the memo
 * (`BINGET`); strings Python would share are shared by value: dict keys (`json.loads` keeps one
 * object per distinct key), the empty string and one-character Latin-1 strings, module and class
 * names. Other equal strings are written again, as distinct Python objects are.
 */
import { EncodeError, formatPythonIsoDate } from '@cq/kombu';
import { HIGHEST_PROTOCOL, OP } from './pickle-opcodes.js';
import { PickleCall, PickleGlobal, PickleTuple } from './python-values.js';
import { encodeUtf8SurrogatePass } from './wtf8.js';

/** CPython's `_FRAME_SIZE_TARGET`: a frame is closed before the next object once it holds this many bytes. */
const FRAME_SIZE_TARGET = 64 * 1024;
/** CPython's `_FRAME_SIZE_MIN`: smaller frames get no FRAME header. */
const FRAME_SIZE_MIN = 4;
const FRAME_HEADER_SIZE = 9;
/** CPython's `BATCHSIZE` of APPENDS/SETITEMS. */
const BATCH_SIZE = 1000;

/**
 * The pickle (protocol 5) of `value`, as CPython writes it.
 * @throws EncodeError (@cq/kombu, code CQ_KOMBU_ENCODE) for a value that is not plain data (see the module doc).
 */
export function dumpsPickle(value: unknown): Buffer {
  return new PickleWriter().dumps(value);
}

class PickleWriter {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;
  private framing = false;
  private frameStart = -1;
  private memoSize = 0;
  /** Containers, tuples and calls by identity. */
  private readonly memo = new Map<unknown, number>();
  /** Strings Python shares, by value: singletons, dict keys, global names (kept apart as in CPython). */
  private readonly sharedStrings = { singleton: new Map<string, number>(), key: new Map<string, number>(), global: new Map<string, number>() };
  private readonly sharedBytes = new Map<string, number>();
  private readonly globals = new Map<string, number>();
  /** Tuples being written (a tuple inside itself cannot be written). */
  private readonly openTuples = new Set<PickleTuple>();
  private readonly path: string[] = [];

  dumps(value: unknown): Buffer {
    this.write([OP.PROTO, HIGHEST_PROTOCOL]);
    this.framing = true;
    this.save(value);
    this.write([OP.STOP]);
    this.commitFrame();
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  // ------------------------------------------------------------------------------------ output

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private write(bytes: ArrayLike<number> | Uint8Array): void {
    if (this.framing && this.frameStart === -1) {
      this.reserve(FRAME_HEADER_SIZE);
      this.frameStart = this.pos;
      this.pos += FRAME_HEADER_SIZE;
    }
    this.reserve(bytes.length);
    if (bytes instanceof Uint8Array) this.buf.set(bytes, this.pos);
    else for (let i = 0; i < bytes.length; i++) this.buf[this.pos + i] = bytes[i]!;
    this.pos += bytes.length;
  }

  private writeUInt(opcode: number, value: number, size: 1 | 2 | 4 | 8): void {
    const bytes = Buffer.alloc(1 + size);
    bytes[0] = opcode;
    if (size === 8) bytes.writeBigUInt64LE(BigInt(value), 1);
    else bytes.writeUIntLE(value, 1, size);
    this.write(bytes);
  }

  /** CPython `_Pickler_CommitFrame`: fills in the reserved FRAME header, or drops it for a tiny frame. */
  private commitFrame(): void {
    if (!this.framing || this.frameStart === -1) return;
    const length = this.pos - this.frameStart - FRAME_HEADER_SIZE;
    if (length >= FRAME_SIZE_MIN) {
      this.buf[this.frameStart] = OP.FRAME;
      this.buf.writeBigUInt64LE(BigInt(length), this.frameStart + 1);
    } else {
      this.buf.copy(this.buf, this.frameStart, this.frameStart + FRAME_HEADER_SIZE, this.pos);
      this.pos -= FRAME_HEADER_SIZE;
    }
    this.frameStart = -1;
  }

  /** A str/bytes payload: at or past the frame target it is written outside any frame, as CPython does. */
  private writeWithPayload(header: Uint8Array, payload: Uint8Array): void {
    if (payload.length < FRAME_SIZE_TARGET) {
      this.write(header);
      this.write(payload);
      return;
    }
    this.commitFrame();
    this.framing = false;
    this.write(header);
    this.write(payload);
    this.framing = true;
  }

  // ------------------------------------------------------------------------------------ memo

  private memoize(obj?: unknown): void {
    this.write([OP.MEMOIZE]);
    if (obj !== undefined) this.memo.set(obj, this.memoSize);
    this.memoSize++;
  }

  private memoGet(index: number): void {
    if (index < 256) this.write([OP.BINGET, index]);
    else this.writeUInt(OP.LONG_BINGET, index, 4);
  }

  // ------------------------------------------------------------------------------------ values

  /** CPython `save`: closes a full frame first, then writes one value. */
  private save(value: unknown, role: 'value' | 'key' | 'global' = 'value'): void {
    if (this.framing && this.frameStart !== -1 && this.pos - this.frameStart - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET) this.commitFrame();
    switch (typeof value) {
      case 'undefined':
        this.write([OP.NONE]);
        return;
      case 'boolean':
        this.write([value ? OP.NEWTRUE : OP.NEWFALSE]);
        return;
      case 'bigint':
        this.saveInt(value);
        return;
      case 'number':
        // The int kombu's JSON text names (String(-2**60) is '-1152921504606847000'), not the double's exact value.
        if (Number.isInteger(value) && Math.abs(value) < 1e21) this.saveInt(BigInt(String(value)));
        else this.saveFloat(value);
        return;
      case 'string':
        this.saveString(value, role);
        return;
      case 'object':
        if (value === null) this.write([OP.NONE]);
        else this.saveObject(value);
        return;
      default:
        throw this.error(`a ${typeof value} cannot be pickled as plain data`);
    }
  }

  private saveInt(n: bigint): void {
    if (n >= -0x80000000n && n <= 0x7fffffffn) {
      const v = Number(n);
      if (v >= 0 && v <= 0xff) this.write([OP.BININT1, v]);
      else if (v >= 0 && v <= 0xffff) this.writeUInt(OP.BININT2, v, 2);
      else {
        const bytes = Buffer.alloc(5);
        bytes[0] = OP.BININT;
        bytes.writeInt32LE(v, 1);
        this.write(bytes);
      }
      return;
    }
    const encoded = encodeLong(n);
    if (encoded.length < 256) this.write([OP.LONG1, encoded.length]);
    else this.writeUInt(OP.LONG4, encoded.length, 4);
    this.write(encoded);
  }

  private saveFloat(x: number): void {
    const bytes = Buffer.alloc(9);
    bytes[0] = OP.BINFLOAT;
    bytes.writeDoubleBE(x, 1);
    this.write(bytes);
  }

  private saveString(text: string, role: 'value' | 'key' | 'global'): void {
    const singleton = text.length === 0 || (text.length === 1 && text.charCodeAt(0) < 0x100);
    const table = singleton ? this.sharedStrings.singleton : role === 'value' ? null : this.sharedStrings[role];
    const known = table?.get(text);
    if (known !== undefined) {
      this.memoGet(known);
      return;
    }
    const data = encodeUtf8SurrogatePass(text);
    this.writeWithPayload(lengthHeader(data.length, OP.SHORT_BINUNICODE, OP.BINUNICODE, OP.BINUNICODE8), data);
    table?.set(text, this.memoSize);
    this.memoize();
  }

  private saveBytes(data: Uint8Array): void {
    const singleton = data.length <= 1 ? String(data[0] ?? '') : null;
    const known = singleton === null ? this.memo.get(data) : this.sharedBytes.get(singleton);
    if (known !== undefined) {
      this.memoGet(known);
      return;
    }
    this.writeWithPayload(lengthHeader(data.length, OP.SHORT_BINBYTES, OP.BINBYTES, OP.BINBYTES8), data);
    if (singleton !== null) this.sharedBytes.set(singleton, this.memoSize);
    this.memoize(singleton === null ? data : undefined);
  }

  private saveObject(value: object): void {
    const known = this.memo.get(value);
    if (known !== undefined) {
      this.memoGet(known);
      return;
    }
    if (Array.isArray(value)) return this.saveList(value);
    if (value instanceof PickleTuple) return this.saveTuple(value);
    if (value instanceof Uint8Array) return this.saveBytes(value);
    if (value instanceof PickleGlobal) return this.saveGlobal(value);
    if (value instanceof PickleCall) return this.saveCall(value);
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw this.error('an invalid Date cannot be pickled');
      return this.saveString(formatPythonIsoDate(value), 'value');
    }
    if (value instanceof Map) return this.saveDict(value, [...value].map(([k, v]) => [mapKey(k, this), v] as [string, unknown]));
    if (value instanceof Set) throw this.error('a Set cannot be pickled as plain data (as with kombu JSON)');
    if (value instanceof String || value instanceof Number || value instanceof Boolean) return this.save(value.valueOf());
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return this.save(toJSON.call(value, this.path.at(-1) ?? ''));
    // Any other object: its own enumerable fields, as kombu's JSON writes it.
    const record = value as Record<string, unknown>;
    return this.saveDict(value, Object.keys(record).map((k) => [k, record[k]] as [string, unknown]));
  }

  private saveList(items: readonly unknown[]): void {
    this.write([OP.EMPTY_LIST]);
    this.memoize(items);
    if (items.length === 0) return;
    if (items.length === 1) {
      this.child('0', () => this.save(items[0]));
      this.write([OP.APPEND]);
      return;
    }
    let total = 0;
    do {
      this.write([OP.MARK]);
      for (let batch = 0; total < items.length && batch < BATCH_SIZE; batch++, total++) {
        const i = total;
        this.child(String(i), () => this.save(items[i]));
      }
      this.write([OP.APPENDS]);
    } while (total < items.length);
  }

  /** CPython `batch_dict_exact`, including its empty last batch when the size is a multiple of 1000. */
  private saveDict(identity: object, all: ReadonlyArray<[string, unknown]>): void {
    const entries = all.filter(([, v]) => v !== undefined);
    this.write([OP.EMPTY_DICT]);
    this.memoize(identity);
    if (entries.length === 0) return;
    const pair = ([k, v]: [string, unknown]): void => {
      this.save(k, 'key');
      this.child(k, () => this.save(v));
    };
    if (entries.length === 1) {
      pair(entries[0]!);
      this.write([OP.SETITEM]);
      return;
    }
    let next = 0;
    let batch: number;
    do {
      this.write([OP.MARK]);
      for (batch = 0; next < entries.length && batch < BATCH_SIZE; batch++) pair(entries[next++]!);
      this.write([OP.SETITEMS]);
    } while (batch === BATCH_SIZE);
  }

  private saveTuple(tuple: PickleTuple): void {
    const { items } = tuple;
    if (items.length === 0) {
      this.write([OP.EMPTY_TUPLE]);
      return;
    }
    if (this.openTuples.has(tuple)) throw this.error('a tuple that contains itself cannot be written');
    this.openTuples.add(tuple);
    if (items.length <= 3) {
      items.forEach((item, i) => this.child(String(i), () => this.save(item)));
      this.write([[OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length - 1]!]);
    } else {
      this.write([OP.MARK]);
      items.forEach((item, i) => this.child(String(i), () => this.save(item)));
      this.write([OP.TUPLE]);
    }
    this.openTuples.delete(tuple);
    this.memoize(tuple);
  }

  /** CPython `save_global` with protocol ≥ 4: module and name, STACK_GLOBAL, memoized once per name. */
  private saveGlobal(global: PickleGlobal): void {
    const known = this.globals.get(global.qualifiedName);
    if (known !== undefined) {
      this.memoGet(known);
      return;
    }
    this.save(global.module, 'global');
    this.save(global.name, 'global');
    this.write([OP.STACK_GLOBAL]);
    this.globals.set(global.qualifiedName, this.memoSize);
    this.memoize(global);
  }

  /** CPython `save_reduce`: callable, args tuple, REDUCE, memoized; then the state and BUILD. */
  private saveCall(call: PickleCall): void {
    if (!(call.callable instanceof PickleGlobal)) throw this.error('only a call of a named global can be written');
    this.save(call.callable);
    this.save(new PickleTuple(call.args));
    this.write([OP.REDUCE]);
    this.memoize(call);
    if (call.state !== undefined) {
      this.save(call.state);
      this.write([OP.BUILD]);
    }
  }

  private child(key: string, fn: () => void): void {
    this.path.push(key);
    fn();
    this.path.pop();
  }

  error(reason: string): EncodeError {
    const where = this.path.length ? ` at ${this.path.join('.')}` : '';
    return new EncodeError(`cannot pickle the result${where}: ${reason}`);
  }
}

/** The opcode and length before a str or bytes payload: 1-byte, 4-byte or 8-byte length form, as CPython picks. */
function lengthHeader(length: number, op1: number, op4: number, op8: number): Buffer {
  if (length <= 0xff) return Buffer.from([op1, length]);
  if (length <= 0xffffffff) {
    const header = Buffer.alloc(5);
    header[0] = op4;
    header.writeUInt32LE(length, 1);
    return header;
  }
  const header = Buffer.alloc(9);
  header[0] = op8;
  header.writeBigUInt64LE(BigInt(length), 1);
  return header;
}

/** Map keys as kombu's JSON writes them. */
function mapKey(key: unknown, writer: { error(reason: string): EncodeError }): string {
  switch (typeof key) {
    case 'string':
      return key;
    case 'number':
      return Number.isFinite(key) ? String(key) : Number.isNaN(key) ? 'NaN' : key > 0 ? 'Infinity' : '-Infinity';
    case 'bigint':
    case 'boolean':
      return String(key);
    default:
      if (key === null) return 'null';
      throw writer.error(`a Map key of type ${typeof key} cannot be a dict key`);
  }
}

/**
 * CPython `save_long` past 32 bits: little-endian two's complement in `(bits >> 3) + 1` bytes, one
 * redundant 0xff dropped for negatives.
 */
function encodeLong(n: bigint): Uint8Array {
  const magnitude = n < 0n ? -n : n;
  const nbits = magnitude.toString(2).length;
  let nbytes = (nbits >> 3) + 1;
  let twos = n < 0n ? (1n << BigInt(nbytes * 8)) + n : n;
  const out = new Uint8Array(nbytes);
  for (let i = 0; i < nbytes; i++) {
    out[i] = Number(twos & 0xffn);
    twos >>= 8n;
  }
  if (n < 0n && nbytes > 1 && out[nbytes - 1] === 0xff && (out[nbytes - 2]! & 0x80) !== 0) nbytes--;
  return out.subarray(0, nbytes);
}
