/**
 * Python's `fnmatch` patterns as regular expressions (kombu `matcher`'s `glob`): `*` any run, `?` one
 * character, `[seq]` one of, `[!seq]` none of; a `[` with no closing `]` is literal. Case-sensitive
 * (`fnmatchcase`).
 */

/** `pattern` as an anchored regular expression. */
export function fnmatch(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[' && pattern.indexOf(']', i + 2) !== -1) {
      const end = pattern.indexOf(']', i + 2);
      let set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      re += `[${set}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
