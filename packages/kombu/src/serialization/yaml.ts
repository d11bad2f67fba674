/**
 * The `yaml` serializer (kombu: `yaml.safe_dump` / `yaml.safe_load`), via the `yaml` package in
 * YAML 1.1 mode, the dialect PyYAML speaks (`yes`/`no` booleans, `!!binary`, timestamps, `0777` octal).
 *
 * Decoding mirrors `safe_load`: one document only; tags outside the safe schema (`!!python/...`) and
 * syntax errors raise DecodeError; duplicate keys keep the last value; timestamps become `Date`,
 * `!!binary` a Buffer, `!!set` a Set; integers beyond ±2^53 come back as `bigint`.
 * Encoding: Map → mapping, bigint → integer, Buffer → `!!binary`, Date → timestamp, Set → `!!set`.
 */

import YAML from 'yaml';
import type { Tags } from 'yaml';
import { DecodeError } from '../errors.js';
import type { Serializer } from './registry.js';

const MAX_EXACT = 2n ** 53n;
// PyYAML's safe_dump never writes !!omap and safe_load would return a list of pairs: write Maps as mappings.
const withoutOmap = (tags: Tags): Tags =>
  tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:omap');

function reviveInteger(_key: unknown, value: unknown): unknown {
  return typeof value === 'bigint' && value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value;
}

function decode(body: Buffer): unknown {
  const doc = YAML.parseDocument(body.toString('utf8'), { version: '1.1', intAsBigInt: true, uniqueKeys: false });
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (problem) throw new DecodeError(`invalid YAML: ${problem.message}`, { cause: problem });
  return doc.toJS({ reviver: reviveInteger });
}

export const yamlSerializer: Serializer = {
  name: 'yaml',
  contentType: 'application/x-yaml',
  contentEncoding: 'utf-8',
  encode: (value) =>
    Buffer.from(YAML.stringify(value, { version: '1.1', customTags: withoutOmap, lineWidth: 0 }), 'utf8'),
  decode,
};
