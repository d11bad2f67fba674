/**
 * Parameter names of a task function, so keyword arguments sent by Python callers
 * (`add.apply_async(kwargs={"x": 1, "y": 2})`) bind to positions the way Python binds them.
 * Names are read from the function's source; give `params` in the task options when the source is
 * minified or uses destructuring.
 */

/** Names of the leading plain parameters of `fn`; stops at the first destructured or rest parameter. */
export function inferParamNames(fn: (...args: never[]) => unknown): string[] {
  const src = Function.prototype.toString.call(fn);
  const list = parameterList(src);
  if (list === null) return [];
  const names: string[] = [];
  for (const part of splitTopLevel(list)) {
    const m = /^\s*([A-Za-z_$][\w$]*)\s*(?::[^=]*)?(?:=.*)?$/s.exec(part);
    if (!m || part.trim().startsWith('...')) break;
    names.push(m[1]!);
  }
  return names;
}

function parameterList(src: string): string | null {
  const arrowSingle = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (arrowSingle) return arrowSingle[1]!;
  const open = src.indexOf('(');
  if (open < 0) return null;
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return src.slice(open + 1, i);
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(src, i);
    }
  }
  return null;
}

function skipString(src: string, start: number): number {
  const quote = src[start];
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === quote) return i;
  }
  return src.length;
}

function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === '"' || c === "'" || c === '`') i = skipString(list, i);
    else if (c === ',' && depth === 0) {
      parts.push(list.slice(last, i));
      last = i + 1;
    }
  }
  const tail = list.slice(last);
  if (tail.trim() !== '') parts.push(tail);
  return parts;
}
