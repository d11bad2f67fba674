/**
 * Legacy message forms the Python worker still runs (`celery/worker/strategy.py`):
 *
 * - **protocol 1**: no task headers; the body is a dict with `task`, `id`, `args`, `kwargs`,
 *   `eta`, `expires`, `utc`, `retries`, `timelimit`, `group`/`taskset`, `callbacks`, `errbacks`,
 *   `chord` (`proto1_to_proto2`);
 * - **hybrid**: v2 headers (a `task` header) but a v1-style dict body holding `args`; header values
 *   win over body values (`hybrid_to_proto2`).
 *
 * Both are converted to the v2 view: a flat request dict (v2 header names) plus args, kwargs, embed.
 */
import { InvalidTaskError } from '../errors.js';
import { safeRepr } from './saferepr.js';

/** A message seen through protocol v2 eyes, before field validation. */
export interface Proto2View {
  /** Request values under v2 header names (`task`, `id`, `eta`, `timelimit`, ...). */
  request: Record<string, unknown>;
  args: unknown;
  kwargs: unknown;
  embed: unknown;
  /** false only for v1 bodies with `utc: false`: naive eta/expires are local time. */
  utc: boolean;
}

/** True for a plain JSON-like object (not an array, bytes, a date or null). */
export function isDict(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date);
}

function argsAndKwargs(body: Record<string, unknown>): { args: unknown; kwargs: unknown } {
  const args = body.args ?? [];
  const kwargs = body.kwargs ?? {};
  if (!isDict(kwargs)) throw new InvalidTaskError('Task keyword arguments must be a mapping');
  return { args, kwargs };
}

function legacyEmbed(body: Record<string, unknown>): Record<string, unknown> {
  return { callbacks: body.callbacks ?? null, errbacks: body.errbacks ?? null, chord: body.chord ?? null, chain: null };
}

/**
 * Protocol 1 body → v2 view. `taskset` (legacy) replaces `group` when present; argsrepr and
 * kwargsrepr are computed as the Python worker does (saferepr of the list, no length limit).
 * @throws InvalidTaskError when kwargs is not a mapping.
 */
export function proto1ToProto2(body: Record<string, unknown>): Proto2View {
  const { args, kwargs } = argsAndKwargs(body);
  const request: Record<string, unknown> = { ...body, argsrepr: safeRepr(args), kwargsrepr: safeRepr(kwargs) };
  if (Object.hasOwn(body, 'taskset')) request.group = body.taskset;
  return { request, args, kwargs, embed: legacyEmbed(body), utc: body.utc !== false };
}

const HYBRID_KEYS = [
  'lang', 'task', 'id', 'root_id', 'parent_id', 'group', 'meth', 'shadow', 'eta', 'expires',
  'retries', 'timelimit', 'argsrepr', 'kwargsrepr', 'origin',
] as const;

/**
 * Hybrid message (v2 headers, v1 dict body) → v2 view: request values are taken from the body,
 * then overwritten by every header present.
 * @throws InvalidTaskError when kwargs is not a mapping.
 */
export function hybridToProto2(body: Record<string, unknown>, headers: Record<string, unknown>): Proto2View {
  const { args, kwargs } = argsAndKwargs(body);
  const request: Record<string, unknown> = {};
  for (const key of HYBRID_KEYS) request[key] = body[key] ?? null;
  request.retries = body.retries ?? 0;
  request.timelimit = body.timelimit ?? [null, null];
  Object.assign(request, headers);
  return { request, args, kwargs, embed: legacyEmbed(body), utc: body.utc !== false };
}
