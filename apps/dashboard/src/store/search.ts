/**
 * Flower's task search (`flower/utils/search.py`): the `search` text is split on spaces and commas
 * (a double-quoted part keeps its spaces) into terms, and a task matches when **any** term does:
 *
 * | term | matches when |
 * |---|---|
 * | `result:<text>` | the result contains the text |
 * | `args:<text>` (repeatable) | the args contain every such text |
 * | `kwargs:<key>=<value>` (repeatable) | the kwargs hold every such key with that value |
 * | `state:<STATE>` (repeatable) | the state is one of them |
 * | anything else | name, uuid, state, worker, args, kwargs or result contains it (the last one wins, as in Flower) |
 *
 * Matching is case-sensitive, as Flower's `in`. {@link searchSql} turns the terms into one SQL
 * condition over the `tasks` table; `kwargs:` uses the `cq_kwarg_is` SQL function each store defines.
 */
import type { SqlDialect } from './dialect.js';

export interface SearchTerms {
  any?: string;
  result?: string;
  args?: string[];
  kwargs?: Record<string, string>;
  state?: string[];
}

const TERM = /(?:[^\s,"]|"(?:\\.|[^"])*")+/g;

/** Strips the quotes and spaces around a term's value (Flower `preprocess_search_value`). */
const clean = (value: string): string => value.replace(/^[" ]+|[" ]+$/g, '');

/** Parses Flower's search syntax; an empty text gives no terms. */
export function parseSearchTerms(text: string | null | undefined): SearchTerms {
  const terms: SearchTerms = {};
  for (const part of text?.match(TERM) ?? []) {
    if (part.startsWith('result:')) terms.result = clean(part.slice(7));
    else if (part.startsWith('args:')) (terms.args ??= []).push(clean(part.slice(5)));
    else if (part.startsWith('kwargs:')) {
      const [key = '', value = ''] = part.slice(7).split('=').map((p) => p.trim());
      (terms.kwargs ??= {})[key] = clean(value);
    } else if (part.startsWith('state')) (terms.state ??= []).push(clean(part.slice(6)));
    else terms.any = clean(part);
  }
  return terms;
}

/**
 * Flower's `stringified_dict_contains_value`: whether a kwargs repr such as `{'x': 5, 'y': 'a'}`
 * holds `key` with `value` (compared as text, quotes stripped).
 */
export function kwargIs(kwargs: string | null, key: string, value: string): boolean {
  if (kwargs === null) return false;
  const at = kwargs.indexOf(key);
  if (at === -1) return false;
  const start = at + key.length + 3; // the key's closing quote, the colon and the space
  let end = kwargs.indexOf(',', start);
  if (end === -1) end = kwargs.indexOf('}', start);
  if (end === -1) return false;
  return kwargs.slice(start, end).replace(/^["']+|["']+$/g, '') === value;
}

/**
 * One SQL condition (with its `?` parameters, in order) true when a task matches any term; null for
 * no terms. The free-text term goes through `dialect.anyTerm`, so each store can answer it from its
 * search index.
 */
export function searchSql(terms: SearchTerms, dialect: SqlDialect): { sql: string; params: unknown[] } | null {
  const any: string[] = [];
  const params: unknown[] = [];
  if (terms.state?.length) {
    any.push(`state IN (${terms.state.map(() => '?').join(', ')})`);
    params.push(...terms.state);
  }
  if (terms.any) {
    const term = dialect.anyTerm(terms.any);
    any.push(term.sql);
    params.push(...term.params);
  }
  if (terms.result) {
    any.push(dialect.contains('result'));
    params.push(terms.result);
  }
  const kwargs = Object.entries(terms.kwargs ?? {});
  if (kwargs.length) {
    any.push(`(${kwargs.map(() => 'cq_kwarg_is(kwargs, ?, ?)').join(' AND ')})`);
    for (const [k, v] of kwargs) params.push(k, v);
  }
  if (terms.args?.length) {
    any.push(`(${terms.args.map(() => dialect.contains('args')).join(' AND ')})`);
    params.push(...terms.args);
  }
  return any.length === 0 ? null : { sql: `(${any.join(' OR ')})`, params };
}
