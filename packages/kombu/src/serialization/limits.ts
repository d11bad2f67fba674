/**
 * Limits on what a received body may decode to (cq; kombu and Celery have none). They keep hostile
 * input from exhausting memory or the stack of a consumer:
 *
 * | limit                  | default  | enforced where                                                    |
 * |------------------------|----------|-------------------------------------------------------------------|
 * | body size              | 16 MiB   | `Message.decode`: the body as received, then while decompressing (zlib/brotli stop at the limit, bzip2 too) |
 * | nesting depth          | 1000     | `loads`, after any serializer (shared references counted once, cycles refused); the tolerant JSON parser and the envelope walk stop at it |
 * | YAML nesting depth     | 400      | before YAML is composed: its composer recurses and can exhaust the stack |
 * | YAML alias expansions  | 100      | the `yaml` package's `maxAliasCount` (billion-laughs documents)   |
 *
 * 1000 is what Python's own decoders reach (`json.loads` stops near its recursion limit of 1000, and
 * PyYAML's `safe_load` near 500), so nothing a Python peer can decode is refused for its depth.
 * Refusals throw {@link DecodeLimitError}, a `DecodeError`: a worker logs the message and drops it,
 * as Celery drops a body it cannot decode.
 */
import { DecodeLimitError } from '../errors.js';

/** Default most bytes of a body, as received and once decompressed (RabbitMQ 4's `max_message_size`). */
export const DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024;
/** Most containers (arrays, objects, maps, sets) nested in a decoded body. */
export const MAX_DECODED_DEPTH = 1000;
/** Most collections nested in a YAML document, checked before it is composed. */
export const MAX_YAML_DEPTH = 400;
/** Most alias expansions in a YAML document (the `yaml` package's default, set explicitly). */
export const MAX_YAML_ALIAS_COUNT = 100;

interface Frame {
  node: object;
  items: readonly unknown[];
  next: number;
  height: number;
}

const isContainer = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !(value instanceof Date) && !(value instanceof ArrayBuffer);

function itemsOf(node: object): readonly unknown[] {
  if (Array.isArray(node)) return node;
  if (node instanceof Map) return [...node.keys(), ...node.values()];
  if (node instanceof Set) return [...node];
  return Object.values(node);
}

/** Depth and container count under which {@link exceedsDepth} needs no full walk. */
const SHALLOW_DEPTH = 32;
const SHALLOW_NODES = 2000;

/**
 * True when `value` nests at most `depth` containers and the walk meets at most `budget.nodes`
 * containers (a shared or cyclic value runs out of one or the other: false, not an answer).
 */
function fitsShallow(value: object, depth: number, budget: { nodes: number }): boolean {
  if (depth === 0 || --budget.nodes < 0) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (isContainer(item) && !fitsShallow(item, depth - 1, budget)) return false;
    return true;
  }
  if (value instanceof Map || value instanceof Set) return false;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (isContainer(item) && !fitsShallow(item, depth - 1, budget)) return false;
  }
  return true;
}

/**
 * True when `value` holds containers nested more than `max` deep (`[]` is 1, `[[]]` is 2), or a
 * cycle. Iterative, so any depth is safe to ask about; a container reached twice (YAML aliases) is
 * walked once, its height remembered.
 */
export function exceedsDepth(value: unknown, max: number): boolean {
  if (!isContainer(value)) return false;
  // Fast path for what messages are: shallow and small. A plain recursive look, without allocating,
  // proves most values fit; anything deep, large, shared or cyclic gets the full walk below.
  const budget = { nodes: SHALLOW_NODES };
  if (max >= SHALLOW_DEPTH && fitsShallow(value, SHALLOW_DEPTH, budget)) return false;
  const heights = new Map<object, number>();
  const onPath = new Set<object>([value]);
  const stack: Frame[] = [{ node: value, items: itemsOf(value), next: 0, height: 1 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.items.length) {
      const child = top.items[top.next++];
      if (!isContainer(child)) continue;
      const known = heights.get(child);
      if (known !== undefined) top.height = Math.max(top.height, known + 1);
      else if (onPath.has(child) || stack.length >= max) return true;
      else {
        onPath.add(child);
        stack.push({ node: child, items: itemsOf(child), next: 0, height: 1 });
      }
      if (top.height > max) return true;
      continue;
    }
    stack.pop();
    onPath.delete(top.node);
    heights.set(top.node, top.height);
    const parent = stack[stack.length - 1];
    if (parent) parent.height = Math.max(parent.height, top.height + 1);
    if (parent && parent.height > max) return true;
  }
  return false;
}

/** The error for `what` nested more than `max` levels deep (or cyclic). */
export function depthError(what: string, cause?: unknown, max = MAX_DECODED_DEPTH): DecodeLimitError {
  return new DecodeLimitError(`${what} is nested more than ${max} levels deep (or cyclic): refused`, 'depth', max, cause === undefined ? {} : { cause });
}

/** True for the RangeError V8 throws when the stack is exhausted (a recursive decoder hit a deep value). */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/** @throws DecodeLimitError when `value` is nested more than {@link MAX_DECODED_DEPTH} deep or cyclic. */
export function assertDepth(value: unknown, what: string): void {
  if (exceedsDepth(value, MAX_DECODED_DEPTH)) throw depthError(what);
}

/** @throws DecodeLimitError when `size` bytes is more than `max` (null: no limit). */
export function assertSize(size: number, max: number | null, what: string): void {
  if (max !== null && size > max) {
    throw new DecodeLimitError(`${what} of ${size} bytes is larger than the limit of ${max} bytes: refused`, 'size', max);
  }
}
