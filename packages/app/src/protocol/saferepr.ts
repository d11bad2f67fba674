/**
 * Celery's `saferepr` (celery/utils/saferepr.py): the truncating repr that fills the
 * `argsrepr`/`kwargsrepr` headers. It differs from `repr()` and we reproduce the differences:
 *
 * - strings are always single-quoted, only `'` is escaped (`'it\'s'`); newlines, backslashes and
 *   non-ASCII text are written as they are;
 * - containers nested `maxLevels` (3) deep print as `[...]` / `{...}`;
 * - with a `maxLength`, output is a stream of tokens with a running budget: a string or number
 *   token longer than the budget is cut at the last space inside it and gets `...`; once the
 *   budget is spent the next token is dropped and `, ...` plus the closers of the open containers
 *   are written. So the result can be a few characters longer than `maxLength`.
 */
import { dictEntries, pyLength, pySlice, reprScalar } from './repr.js';

/** Celery's `argsrepr_maxsize` / `kwargsrepr_maxsize` default (characters). */
export const REPR_MAX_LENGTH = 1024;
/** saferepr's default nesting depth. */
export const REPR_MAX_LEVELS = 3;

/** Marks an array to be printed as a Python tuple: `(1, 2)`, `(1,)`, `()`. */
class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

type Token =
  | { kind: 'open'; value: string; close: string }
  | { kind: 'close'; value: string }
  | { kind: 'sep'; value: string }
  | { kind: 'key'; value: unknown }
  | { kind: 'quoted'; value: string | Uint8Array }
  | { kind: 'text'; value: string };

const LIST_SEP: Token = { kind: 'sep', value: ', ' };
const KV_SEP: Token = { kind: 'sep', value: ': ' };

function brackets(value: object, size: number): [string, string] {
  if (value instanceof PyTuple) return ['(', size === 1 ? ',)' : ')'];
  if (Array.isArray(value)) return ['[', ']'];
  return ['{', '}'];
}

function* tokens(value: unknown, level: number, maxLevels: number, seen: Set<object>): Generator<Token> {
  if (typeof value === 'string' || value instanceof Uint8Array) {
    yield { kind: 'quoted', value };
    return;
  }
  const scalar = reprScalar(value);
  if (scalar !== undefined) {
    yield { kind: 'text', value: scalar };
    return;
  }
  const obj = value as object;
  if (obj instanceof Set && obj.size === 0) {
    yield { kind: 'text', value: 'set()' };
    return;
  }
  const items: unknown[] | null =
    obj instanceof PyTuple ? [...obj.items] : Array.isArray(obj) ? obj : obj instanceof Set ? [...obj] : null;
  const entries = items === null ? dictEntries(obj) : null;
  const [open, close] = brackets(obj, items?.length ?? 0);
  if (maxLevels && level >= maxLevels) {
    yield { kind: 'text', value: `${open}...${close}` };
    return;
  }
  if (seen.has(obj)) {
    const type = items === null ? 'dict' : obj instanceof PyTuple ? 'tuple' : 'list';
    yield { kind: 'text', value: `<Recursion on ${type}>` };
    return;
  }
  seen.add(obj);
  yield { kind: 'open', value: open, close };
  if (items !== null) {
    for (let i = 0; i < items.length; i++) {
      if (i > 0) yield LIST_SEP;
      yield* tokens(items[i], level + 1, maxLevels, seen);
    }
  } else if (entries !== null) {
    let first = true;
    for (const [k, v] of entries) {
      if (!first) yield LIST_SEP;
      first = false;
      yield { kind: 'key', value: k };
      yield KV_SEP;
      yield* tokens(v, level + 1, maxLevels, seen);
    }
  }
  seen.delete(obj);
  yield { kind: 'close', value: close };
}

/** celery.utils.text.truncate: cut at `maxLength` code points, back to the last space, add `...`. */
function truncate(s: string, maxLength: number | null): string {
  if (!maxLength || pyLength(s) < maxLength) return s;
  const head = pySlice(s, maxLength);
  const space = head.lastIndexOf(' ');
  return (space >= 0 ? head.slice(0, space) : head) + '...';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bytesText(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  }
}

function formatChars(value: string | Uint8Array, maxLength: number | null): string {
  if (typeof value === 'string') return `'${truncate(value, maxLength).replace(/'/g, "\\'")}'`;
  if (maxLength && value.length > maxLength) return `b'${bytesText(value.subarray(0, maxLength))}...'`;
  return `b'${bytesText(value)}'`;
}

function render(value: unknown, maxLength: number | null, maxLevels: number): string {
  let out = '';
  let budget = maxLength;
  const closers: string[] = [];
  for (const token of tokens(value, 0, maxLevels, new Set())) {
    if (token.kind === 'open') closers.push(token.close);
    else if (token.kind === 'close') closers.pop();
    if (budget !== null && budget <= 0) {
      // The token just taken is dropped; only the open containers get closed.
      return out + ', ...' + closers.reverse().join('');
    }
    let piece: string;
    if (token.kind === 'key') piece = render(token.value, budget, maxLevels);
    else if (token.kind === 'quoted') piece = formatChars(token.value, budget);
    else if (token.kind === 'text') piece = truncate(token.value, budget);
    else piece = token.value;
    out += piece;
    if (budget !== null) budget -= pyLength(piece);
  }
  return out;
}

/**
 * Celery `saferepr(value, maxlen)`: see the module doc for how it differs from `repr()`.
 * @param maxLength budget in characters (code points); null = no truncation.
 * @param maxLevels nesting depth printed before `[...]`; default 3; 0 = unlimited.
 */
export function safeRepr(value: unknown, maxLength: number | null = null, maxLevels = REPR_MAX_LEVELS): string {
  return render(value, maxLength, maxLevels);
}

/**
 * The `argsrepr` header: saferepr of the args as a Python tuple, `(2, 3)`, `(2,)`, `()`, truncated
 * at `maxLength` (default 1024, Celery's `argsrepr_maxsize`). Python clients that pass a *list*
 * (e.g. `send_task(args=[2, 3])`) send `[2, 3]` instead; pass `argsrepr` to match that exactly.
 */
export function argsRepr(args: readonly unknown[], maxLength: number | null = REPR_MAX_LENGTH): string {
  let out = '(';
  for (let i = 0; i < args.length; i++) {
    const piece = flatPiece(args[i]);
    if (piece === undefined) return render(new PyTuple(args), maxLength, REPR_MAX_LEVELS);
    out += i === 0 ? piece : `, ${piece}`;
    if (maxLength !== null && out.length >= maxLength) return render(new PyTuple(args), maxLength, REPR_MAX_LEVELS);
  }
  return out + (args.length === 1 ? ',)' : ')');
}

/**
 * The repr of a string or of a scalar that is not a container (numbers, booleans, None) — what the
 * token stream writes for it when nothing is cut — or undefined for anything else. `argsRepr` and
 * `kwargsRepr` use it for the common flat case, without the token stream, as long as the whole repr
 * stays shorter than the budget (so nothing would be cut).
 */
function flatPiece(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return `'${value.replace(/'/g, "\\'")}'`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return reprScalar(value);
    default:
      return value === null ? 'None' : undefined;
  }
}

/** The `kwargsrepr` header: saferepr of the kwargs dict, `{'z': 1}`, truncated at `maxLength` (default 1024). */
export function kwargsRepr(kwargs: Record<string, unknown>, maxLength: number | null = REPR_MAX_LENGTH): string {
  const proto = Object.getPrototypeOf(kwargs) as unknown;
  if (proto !== Object.prototype && proto !== null) return render(kwargs, maxLength, REPR_MAX_LEVELS);
  let out = '{';
  let first = true;
  for (const key in kwargs) {
    if (!Object.hasOwn(kwargs, key)) continue;
    const value = flatPiece(kwargs[key]);
    if (value === undefined) return render(kwargs, maxLength, REPR_MAX_LEVELS);
    out += `${first ? '' : ', '}${flatPiece(key)!}: ${value}`;
    first = false;
    if (maxLength !== null && out.length >= maxLength) return render(kwargs, maxLength, REPR_MAX_LEVELS);
  }
  return out + '}';
}
