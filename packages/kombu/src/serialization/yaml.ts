/**
 * The `yaml` serializer (kombu: `yaml.safe_dump` / `yaml.safe_load`), via the `yaml` package in
 * YAML 1.1 mode, the dialect PyYAML speaks (`yes`/`no` booleans, `!!binary`, timestamps, `0777` octal).
 *
 * Decoding mirrors `safe_load`: one document only; tags outside the safe schema (`!!python/...`) and
 * syntax errors raise DecodeError; duplicate keys keep the last value; timestamps become `Date`,
 * `!!binary` a Buffer, `!!set` a Set; integers beyond ±2^53 come back as `bigint`.
 * Encoding: Map → mapping, bigint → integer, Buffer → `!!binary`, Date → timestamp, Set → `!!set`.
 *
 * Hostile input (see `./limits.ts`): a body that is not valid UTF-8 is refused (PyYAML refuses it
 * too); collections nested more than 400 deep are refused before the document is composed — the
 * composer recurses per level, and a stack exhausted inside it can abort the process rather than
 * throw; more than 100 alias expansions (a "billion laughs" document) are refused; an anchor used
 * inside itself (a cyclic value) is refused by `loads`.
 */

import { isUtf8 } from 'node:buffer';
import YAML, { Parser } from 'yaml';
import type { CST, Tags } from 'yaml';
import { DecodeError } from '../errors.js';
import { MAX_YAML_ALIAS_COUNT, MAX_YAML_DEPTH, depthError } from './limits.js';
import type { Serializer } from './registry.js';

const MAX_EXACT = 2n ** 53n;
// PyYAML's safe_dump never writes !!omap and safe_load would return a list of pairs: write Maps as mappings.
const withoutOmap = (tags: Tags): Tags =>
  tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:omap');

function reviveInteger(_key: unknown, value: unknown): unknown {
  return typeof value === 'bigint' && value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value;
}

/**
 * A quick lower bound on the nesting of `text`, to refuse the usual deep documents at a fraction of
 * the cost of parsing them (the parser takes ~150 ms on 100,000 levels): the deepest run of open
 * flow brackets outside quoted scalars, and the longest run of `- ` / `? ` indicators opening a line.
 */
function nestingAtLeast(text: string): number {
  let max = 0;
  let flow = 0;
  let lineStart = true;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      lineStart = true;
      run = 0;
      continue;
    }
    if (lineStart && (c === 0x2d || c === 0x3f) && (text.charCodeAt(i + 1) === 0x20 || text.charCodeAt(i + 1) === 0x0a)) {
      max = Math.max(max, ++run);
      i++;
      continue;
    }
    if (c !== 0x20) lineStart = false;
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++flow);
    else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
    else if (c === 0x22 || c === 0x27) {
      // Skip a quoted scalar ("…" with \ escapes, '…' with '' for a quote).
      for (i++; i < text.length && text.charCodeAt(i) !== c; i++) if (c === 0x22 && text.charCodeAt(i) === 0x5c) i++;
    }
  }
  return max;
}

/** Deepest nesting of collections in the parsed (not yet composed) token tree; iterative. */
function nesting(tokens: Iterable<CST.Token>): number {
  let max = 0;
  const stack: Array<[CST.Token | undefined | null, number]> = [...tokens].map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') stack.push([token.value, depth]);
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      max = Math.max(max, depth + 1);
      if (max > MAX_YAML_DEPTH) return max;
      for (const item of token.items) stack.push([(item as { key?: CST.Token | null }).key, depth + 1], [item.value, depth + 1]);
    }
  }
  return max;
}

function decode(body: Buffer): unknown {
  if (!isUtf8(body)) throw new DecodeError('YAML body is not valid UTF-8');
  const text = body.toString('utf8');
  if (nestingAtLeast(text) > MAX_YAML_DEPTH || nesting(new Parser().parse(text)) > MAX_YAML_DEPTH) {
    throw depthError('YAML document', undefined, MAX_YAML_DEPTH);
  }
  const doc = YAML.parseDocument(text, { version: '1.1', intAsBigInt: true, uniqueKeys: false });
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (problem) throw new DecodeError(`invalid YAML: ${problem.message}`, { cause: problem });
  try {
    return doc.toJS({ reviver: reviveInteger, maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (error) {
    // The yaml package's resource-exhaustion guard: too many alias expansions.
    if (error instanceof ReferenceError) throw new DecodeError(`invalid YAML: ${error.message}`, { cause: error });
    throw error;
  }
}

export const yamlSerializer: Serializer = {
  name: 'yaml',
  contentType: 'application/x-yaml',
  contentEncoding: 'utf-8',
  encode: (value) =>
    Buffer.from(YAML.stringify(value, { version: '1.1', customTags: withoutOmap, lineWidth: 0 }), 'utf8'),
  decode,
};
