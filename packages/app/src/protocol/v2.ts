/**
 * Protocol v2 encoder: the headers, properties and body Python Celery 5.x `send_task` builds
 * (`celery/app/amqp.py: as_task_v2` plus the `expiration` property from `app.send_task`).
 * Pure: no ids or clocks are invented except the defaults documented on BuildTaskOptions.
 */
import { hostname } from 'node:os';
import { formatPythonIsoDate, parseIsoDate } from '@cq/kombu';
import { InvalidTaskOptionsError } from '../errors.js';
import { argsRepr, kwargsRepr } from './saferepr.js';
import type { BuildTaskOptions, TaskHeaders, TaskMessageParts, TaskProperties } from './types.js';

/** Celery refuses countdown/expires below this many seconds (`INT_MIN` in `_verify_seconds`). */
const MIN_SECONDS = -2147483648;

/** Celery's `anon_nodename()`: `gen<pid>@<hostname>`, the default `origin` header. */
export function defaultOrigin(): string {
  return `gen${process.pid}@${hostname()}`;
}

/** True when `headers` carry a protocol v2 task (a `task` header is present), as the worker checks. */
export function isTaskMessage(headers: Record<string, unknown> | null | undefined): boolean {
  return headers != null && Object.hasOwn(headers, 'task') && headers.task !== undefined;
}

function verifySeconds(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < MIN_SECONDS) {
    throw new InvalidTaskOptionsError(`${what} is out of range: ${String(value)}`);
  }
  return value;
}

function toDate(value: Date | string, what: string): Date {
  let date: Date;
  try {
    date = value instanceof Date ? value : parseIsoDate(value);
  } catch (cause) {
    throw new InvalidTaskOptionsError(`invalid ${what} value ${JSON.stringify(value)}`, { cause });
  }
  if (Number.isNaN(date.getTime())) throw new InvalidTaskOptionsError(`invalid ${what} value: Invalid Date`);
  return date;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Build a protocol v2 task message exactly as Python Celery 5.x does (header order included),
 * with the 5.3+ headers `replaced_task_nesting`, `stamped_headers`, `stamps`.
 *
 * - `countdown` (s, non-zero) sets `eta = now + countdown` and wins over `eta`.
 * - `eta`/`expires` Dates are written as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`; strings are sent as is.
 * - `expires` also sets the `expiration` property: milliseconds from `now`, truncated, clamped at 0.
 * - `root_id` defaults to the task id; `reply_to` to `''`; `origin` to `gen<pid>@<hostname>`.
 * - `headers` are merged last, so they can override built headers (as Celery's `headers` option).
 *
 * @throws InvalidTaskOptionsError when args is not an array, kwargs not a plain object, a
 *   countdown/expires is not finite or below -2^31 s, or an eta/expires string does not parse.
 */
export function buildTaskMessage(o: BuildTaskOptions): TaskMessageParts {
  if (typeof o.name !== 'string' || o.name === '') throw new InvalidTaskOptionsError('task name must be a non-empty string');
  if (typeof o.id !== 'string' || o.id === '') throw new InvalidTaskOptionsError('task id must be a non-empty string');
  const args = o.args ?? [];
  const kwargs = o.kwargs ?? {};
  if (!Array.isArray(args)) throw new InvalidTaskOptionsError('task args must be an array');
  if (!isPlainObject(kwargs)) throw new InvalidTaskOptionsError('task keyword arguments must be a plain object');
  const now = o.now ?? new Date();

  let eta: string | null = null;
  if (o.countdown !== undefined && o.countdown !== null && o.countdown !== 0) {
    eta = formatPythonIsoDate(new Date(now.getTime() + verifySeconds(o.countdown, 'countdown') * 1000));
  } else if (typeof o.eta === 'string') {
    eta = o.eta;
  } else if (o.eta instanceof Date) {
    eta = formatPythonIsoDate(toDate(o.eta, 'eta'));
  }

  let expires: string | null = null;
  let expiresInSeconds: number | null = null;
  if (typeof o.expires === 'number') {
    expiresInSeconds = verifySeconds(o.expires, 'expires');
    expires = formatPythonIsoDate(new Date(now.getTime() + expiresInSeconds * 1000));
  } else if (o.expires !== undefined && o.expires !== null) {
    const when = toDate(o.expires, 'expires');
    expiresInSeconds = (when.getTime() - now.getTime()) / 1000;
    expires = typeof o.expires === 'string' ? o.expires : formatPythonIsoDate(when);
  }

  const headers: TaskHeaders = {
    lang: 'py',
    task: o.name,
    id: o.id,
    shadow: o.shadow ?? null,
    eta,
    expires,
    group: o.group ?? null,
    group_index: o.groupIndex ?? null,
    retries: o.retries ?? 0,
    timelimit: [o.timeLimit ?? null, o.softTimeLimit ?? null],
    root_id: o.rootId || o.id,
    parent_id: o.parentId ?? null,
    argsrepr: o.argsrepr ?? argsRepr(args),
    kwargsrepr: o.kwargsrepr ?? kwargsRepr(kwargs),
    origin: o.origin ?? defaultOrigin(),
    ignore_result: o.ignoreResult ?? false,
    replaced_task_nesting: o.replacedTaskNesting ?? 0,
    stamped_headers: o.stampedHeaders ?? null,
    stamps: o.stamps ?? {},
    ...o.headers,
  };

  const properties: TaskProperties = {
    correlation_id: o.id,
    reply_to: o.replyTo ?? '',
    delivery_mode: o.deliveryMode ?? 2,
    priority: o.priority ?? 0,
  };
  if (expiresInSeconds !== null) {
    properties.expiration = String(Math.max(0, Math.trunc(expiresInSeconds * 1000)));
  }

  return {
    headers,
    properties,
    body: [
      args,
      kwargs,
      { callbacks: o.callbacks ?? null, errbacks: o.errbacks ?? null, chain: o.chain ?? null, chord: o.chord ?? null },
    ],
  };
}
