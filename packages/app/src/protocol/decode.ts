/**
 * Task message decoder: headers + properties + (already deserialized) body → the request a
 * worker runs. Follows the Python worker's dispatch (`create_task_handler` and the default
 * strategy): a `task` header means protocol 2 (hybrid when the body is a dict with `args`),
 * otherwise a dict body with `task` is protocol 1, anything else is not a task.
 *
 * Every header and property the worker reads is type-checked here (Celery trusts them and fails
 * later, in the middle of running the task): one of the wrong type makes the whole message an
 * {@link InvalidTaskError} naming it, which a worker rejects — never a TypeError further on.
 */
import { parseIsoDate } from '@cq/kombu';
import { InvalidTaskError } from '../errors.js';
import { hybridToProto2, isDict, proto1ToProto2, type Proto2View } from './v1.js';
import { isTaskMessage } from './v2.js';
import type { SignatureDict, TaskEmbed, TaskRequestFields } from './types.js';

/** A time part followed by `Z` or a `±HH[:MM[:SS]]` offset (a bare date has none). */
const HAS_OFFSET = /[Tt ]\d{2}.*(?:[zZ]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$/;

function parseWhen(value: unknown, label: string, utc: boolean): Date | null {
  if (value === null || value === undefined) return null;
  let date: Date;
  try {
    if (value instanceof Date) date = new Date(value.getTime());
    else if (typeof value === 'string') date = parseIsoDate(value);
    else throw new TypeError(`expected an ISO-8601 string, got ${typeof value}`);
    if (Number.isNaN(date.getTime())) throw new RangeError('Invalid Date');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : describe(value);
    throw new InvalidTaskError(`invalid ${label} value ${shown}: ${reason}`, { cause });
  }
  if (!utc && typeof value === 'string' && !HAS_OFFSET.test(value)) {
    // v1 `utc: false`: the wall-clock time is local, parseIsoDate read it as UTC.
    date = new Date(date.getTime() + date.getTimezoneOffset() * 60_000);
  }
  return date;
}

function fromV2Body(body: unknown, headers: Record<string, unknown>): Proto2View {
  if (!Array.isArray(body) || body.length !== 3) {
    throw new InvalidTaskError('protocol 2 body must be an array [args, kwargs, embed]');
  }
  const [args, kwargs, embed] = body as [unknown, unknown, unknown];
  return { request: headers, args, kwargs, embed, utc: true };
}

/** A signature dict as far as the worker relies on it before canvas reads it: a task name and typed parts. */
function signatureDict(value: unknown, where: string): SignatureDict {
  const ok = isDict(value) && typeof value.task === 'string'
    && (value.args == null || Array.isArray(value.args))
    && (value.kwargs == null || isDict(value.kwargs))
    && (value.options == null || isDict(value.options))
    && (value.subtask_type == null || typeof value.subtask_type === 'string');
  if (!ok) throw new InvalidTaskError(`${where} must be a signature: a mapping with a string "task" (args a list, kwargs and options mappings)`);
  return value as SignatureDict;
}

function sigList(value: unknown, key: string): SignatureDict[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) throw new InvalidTaskError(`embed.${key} must be a list of signatures`);
  return value.map((item, i) => signatureDict(item, `embed.${key}[${i}]`));
}

function toEmbed(embed: unknown): TaskEmbed {
  if (embed === null || embed === undefined) return { callbacks: null, errbacks: null, chain: null, chord: null };
  if (!isDict(embed)) throw new InvalidTaskError('embed must be a mapping');
  const chord = embed.chord ?? null;
  return {
    callbacks: sigList(embed.callbacks, 'callbacks'),
    errbacks: sigList(embed.errbacks, 'errbacks'),
    chain: sigList(embed.chain, 'chain'),
    chord: chord === null ? null : signatureDict(chord, 'embed.chord'),
  };
}

/** `value` when it is null/undefined (→ null) or passes `ok`; else InvalidTaskError naming `name` and `what` it must be. */
function typed<T>(value: unknown, name: string, what: string, ok: (v: unknown) => boolean): T | null {
  if (value === null || value === undefined) return null;
  if (!ok(value)) throw new InvalidTaskError(`${name} must be ${what}, not ${describe(value)}`);
  return value as T;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(String(value).slice(0, 40))}`;
}

const isString = (v: unknown) => typeof v === 'string';
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isSeconds = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const str = (v: unknown, name: string): string | null => typed<string>(v, name, 'a string', isString);

function timeLimit(value: unknown): [number | null, number | null] {
  const pair = typed<unknown[]>(value, 'header timelimit', 'a list [hard, soft]', (v) => Array.isArray(v) && v.length === 2);
  if (!pair) return [null, null];
  return [
    typed<number>(pair[0], 'header timelimit[0] (hard)', 'a number of seconds >= 0', isSeconds),
    typed<number>(pair[1], 'header timelimit[1] (soft)', 'a number of seconds >= 0', isSeconds),
  ];
}

/** Headers the worker passes on without reading them: checked so that later readers can trust them. */
function checkPassedOn(r: Record<string, unknown>): void {
  typed(r.replaced_task_nesting, 'header replaced_task_nesting', 'an integer >= 0', isCount);
  typed(r.stamped_headers, 'header stamped_headers', 'a list of strings', (v) => Array.isArray(v) && v.every(isString));
  typed(r.stamps, 'header stamps', 'a mapping', isDict);
}

function toFields(
  view: Proto2View,
  headers: Record<string, unknown>,
  properties: Record<string, unknown>,
  protocol: 1 | 2,
): TaskRequestFields {
  const r = view.request;
  if (typeof r.task !== 'string') throw new InvalidTaskError(`task name must be a string, not ${describe(r.task)}`);
  if (typeof r.id !== 'string' || r.id === '') throw new InvalidTaskError(`task ${r.task}: id must be a non-empty string, not ${describe(r.id)}`);
  if (!Array.isArray(view.args)) throw new InvalidTaskError(`task ${r.task}[${r.id}]: args must be a list`);
  if (!isDict(view.kwargs)) throw new InvalidTaskError(`task ${r.task}[${r.id}]: kwargs must be a mapping`);
  checkPassedOn(r);
  const replyTo = str(properties.reply_to, 'property reply_to');
  return {
    name: r.task,
    id: r.id,
    args: view.args,
    kwargs: view.kwargs,
    embed: toEmbed(view.embed),
    eta: parseWhen(r.eta, 'ETA', view.utc),
    expires: parseWhen(r.expires, 'expires', view.utc),
    retries: typed<number>(r.retries, 'header retries', 'an integer >= 0', isCount) ?? 0,
    timeLimit: timeLimit(r.timelimit),
    rootId: str(r.root_id, 'header root_id'),
    parentId: str(r.parent_id, 'header parent_id'),
    group: str(r.group, 'header group'),
    groupIndex: typed<number>(r.group_index, 'header group_index', 'an integer >= 0', isCount),
    shadow: str(r.shadow, 'header shadow'),
    ignoreResult: typed<boolean>(r.ignore_result, 'header ignore_result', 'a boolean', (v) => typeof v === 'boolean') ?? false,
    replyTo: replyTo === '' ? null : replyTo,
    correlationId: str(properties.correlation_id, 'property correlation_id') || r.id,
    origin: str(r.origin, 'header origin'),
    argsrepr: str(r.argsrepr, 'header argsrepr') ?? '',
    kwargsrepr: str(r.kwargsrepr, 'header kwargsrepr') ?? '',
    headers,
    protocol,
  };
}

/**
 * Decode a received task message into the request a worker runs. `body` is the deserialized
 * (and decompressed) payload. Accepts protocol 2 (`[args, kwargs, embed]`, embed may be null or
 * `{}`), the hybrid form (v2 headers with a v1 dict body) and protocol 1 (no headers, dict body).
 * Missing optional headers take Celery's defaults (retries 0, timelimit [null, null], argsrepr '').
 *
 * @throws InvalidTaskError when the message is none of these forms, args/kwargs/embed have the
 *   wrong type, task/id are missing, `eta`/`expires` is not a valid ISO-8601 date (the cases where
 *   the Python worker rejects the message), or a header or property it reads has the wrong type
 *   (`retries`, `group_index`, `replaced_task_nesting`: integers >= 0; `timelimit`: `[hard, soft]`
 *   of seconds or nulls; `ignore_result`: boolean; ids, `shadow`, `origin`, `argsrepr`,
 *   `kwargsrepr`, `reply_to`, `correlation_id`: strings; `stamped_headers`: strings; `stamps`: a
 *   mapping; embedded signatures: mappings with a string `task`; null stands for absent).
 *   Nothing else is thrown, whatever the input.
 */
export function decodeTaskMessage(
  headers: Record<string, unknown> | null | undefined,
  properties: Record<string, unknown> | null | undefined,
  body: unknown,
): TaskRequestFields {
  const h = headers ?? {};
  const p = properties ?? {};
  if (isTaskMessage(h)) {
    const view = isDict(body) && Object.hasOwn(body, 'args') ? hybridToProto2(body, h) : fromV2Body(body, h);
    return toFields(view, h, p, 2);
  }
  if (isDict(body) && Object.hasOwn(body, 'task')) return toFields(proto1ToProto2(body), h, p, 1);
  throw new InvalidTaskError('message is not a task: no "task" header (protocol 2) and no "task" key in the body (protocol 1)');
}
