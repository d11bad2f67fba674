/**
 * Task message decoder: headers + properties + (already deserialized) body → the request a
 * worker runs. Follows the Python worker's dispatch (`create_task_handler` and the default
 * strategy): a `task` header means protocol 2 (hybrid when the body is a dict with `args`),
 * otherwise a dict body with `task` is protocol 1, anything else is not a task.
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
    throw new InvalidTaskError(`invalid ${label} value ${JSON.stringify(value)}: ${reason}`, { cause });
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

function sigList(value: unknown, key: string): SignatureDict[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) throw new InvalidTaskError(`embed.${key} must be a list of signatures`);
  return value as SignatureDict[];
}

function toEmbed(embed: unknown): TaskEmbed {
  if (embed === null || embed === undefined) return { callbacks: null, errbacks: null, chain: null, chord: null };
  if (!isDict(embed)) throw new InvalidTaskError('embed must be a mapping');
  const chord = embed.chord ?? null;
  if (chord !== null && !isDict(chord)) throw new InvalidTaskError('embed.chord must be a signature');
  return {
    callbacks: sigList(embed.callbacks, 'callbacks'),
    errbacks: sigList(embed.errbacks, 'errbacks'),
    chain: sigList(embed.chain, 'chain'),
    chord: chord as SignatureDict | null,
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function timeLimit(value: unknown): [number | null, number | null] {
  if (!Array.isArray(value)) return [null, null];
  return [num(value[0]), num(value[1])];
}

function toFields(
  view: Proto2View,
  headers: Record<string, unknown>,
  properties: Record<string, unknown>,
  protocol: 1 | 2,
): TaskRequestFields {
  const r = view.request;
  if (typeof r.task !== 'string') throw new InvalidTaskError('task name must be a string');
  if (typeof r.id !== 'string' || r.id === '') throw new InvalidTaskError(`task ${r.task}: id must be a non-empty string`);
  if (!Array.isArray(view.args)) throw new InvalidTaskError(`task ${r.task}[${r.id}]: args must be a list`);
  if (!isDict(view.kwargs)) throw new InvalidTaskError(`task ${r.task}[${r.id}]: kwargs must be a mapping`);
  const replyTo = str(properties.reply_to);
  return {
    name: r.task,
    id: r.id,
    args: view.args,
    kwargs: view.kwargs,
    embed: toEmbed(view.embed),
    eta: parseWhen(r.eta, 'ETA', view.utc),
    expires: parseWhen(r.expires, 'expires', view.utc),
    retries: num(r.retries) ?? 0,
    timeLimit: timeLimit(r.timelimit),
    rootId: str(r.root_id),
    parentId: str(r.parent_id),
    group: str(r.group),
    groupIndex: num(r.group_index),
    shadow: str(r.shadow),
    ignoreResult: r.ignore_result === true,
    replyTo: replyTo === '' ? null : replyTo,
    correlationId: str(properties.correlation_id) || r.id,
    origin: str(r.origin),
    argsrepr: str(r.argsrepr) ?? '',
    kwargsrepr: str(r.kwargsrepr) ?? '',
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
 *   wrong type, task/id are missing, or `eta`/`expires` is not a valid ISO-8601 date — the cases
 *   where the Python worker rejects the message.
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
