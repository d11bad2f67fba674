/**
 * Reads back the arguments of a task from its events, to retry it: events carry `args` and `kwargs`
 * as Python reprs (`argsrepr` / `kwargsrepr`, e.g. `(2, 'a', None)` and `{'x': [1, 2.5]}`), which
 * this parses as Python's `ast.literal_eval` would for JSON-like values: None, True, False, numbers,
 * strings (with their escapes), lists, tuples and dicts. Anything else — a truncated repr ending in
 * `...`, an object's `<...>` repr, a set — is refused, since the task could not be re-sent as it was.
 */
import { DashboardError } from './errors.js';

/** A repr that is not a literal this parser reads. */
export class LiteralParseError extends DashboardError {
  override readonly code: string = 'CQ_DASHBOARD_LITERAL';
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Parses one Python literal. @throws LiteralParseError naming the position where reading failed. */
export function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new LiteralParseError(`not a Python literal (${what} at ${i}): ${text.length > 80 ? `${text.slice(0, 80)}...` : text}`);
  };
  const space = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
  };
  const sequence = (close: string): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      space();
      if (text[i] === close) {
        i += 1;
        return items;
      }
      items.push(value());
      space();
      if (text[i] === ',') i += 1;
      else if (text[i] !== close) fail(`expected , or ${close}`);
    }
  };
  const string = (): string => {
    const quote = text[i]!;
    i += 1;
    let out = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') {
        const next = text[i + 1] ?? '';
        if (next === 'x' || next === 'u' || next === 'U') {
          const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
          const hex = text.slice(i + 2, i + 2 + width);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) fail('bad escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          i += 2 + width;
          continue;
        }
        out += ESCAPES[next] ?? `\\${next}`;
        i += 2;
        continue;
      }
      out += text[i];
      i += 1;
    }
    if (text[i] !== quote) fail('unterminated string');
    i += 1;
    return out;
  };
  const value = (): unknown => {
    space();
    const c = text[i];
    if (c === '(') {
      i += 1;
      return sequence(')');
    }
    if (c === '[') {
      i += 1;
      return sequence(']');
    }
    if (c === '{') {
      i += 1;
      const out: Record<string, unknown> = {};
      for (;;) {
        space();
        if (text[i] === '}') {
          i += 1;
          return out;
        }
        const key = value();
        if (typeof key !== 'string' && typeof key !== 'number') fail('dict key');
        space();
        if (text[i] !== ':') fail('expected :');
        i += 1;
        out[String(key)] = value();
        space();
        if (text[i] === ',') i += 1;
        else if (text[i] !== '}') fail('expected , or }');
      }
    }
    if (c === "'" || c === '"') return string();
    const word = /^(None|True|False|null|true|false|-?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+))/.exec(text.slice(i));
    if (!word) return fail('unexpected input');
    i += word[0].length;
    const literals: Record<string, unknown> = { None: null, null: null, True: true, true: true, False: false, false: false };
    return word[0] in literals ? literals[word[0]] : Number(word[0]);
  };
  const out = value();
  space();
  if (i !== text.length) fail('trailing input');
  return out;
}

/**
 * The positional and keyword arguments of a task from its `args` and `kwargs` reprs.
 * @throws LiteralParseError when either cannot be read back.
 */
export function taskArguments(args: string | null, kwargs: string | null): { args: unknown[]; kwargs: Record<string, unknown> } {
  const a = args === null || args === '' ? [] : parsePythonLiteral(args);
  const k = kwargs === null || kwargs === '' ? {} : parsePythonLiteral(kwargs);
  if (!Array.isArray(a)) throw new LiteralParseError(`args is not a list or tuple: ${args}`);
  if (k === null || typeof k !== 'object' || Array.isArray(k)) throw new LiteralParseError(`kwargs is not a dict: ${kwargs}`);
  return { args: a, kwargs: k as Record<string, unknown> };
}
