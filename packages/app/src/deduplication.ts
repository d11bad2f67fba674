/**
 * Deduplication at enqueue time (cq, beyond Celery; BullMQ's `deduplication` option, Celery users'
 * `celery-once`): `applyAsync(args, { deduplicationId })` sends nothing while a task sent with the same
 * id (for the same task name) is pending, or within its window, and resolves to that task's AsyncResult
 * (same task id). Three modes, as BullMQ's:
 *
 * | mode | chosen by | a duplicate call … | the key lives until |
 * |---|---|---|---|
 * | `simple` | no `deduplicationTtl` | gets the pending task | the task is ready (SUCCESS, FAILURE, REVOKED, IGNORED, rejected): the worker releases it; at most its countdown + `task_deduplication_safety_ttl` |
 * | `throttle` | `deduplicationTtl` | gets the task of the window, even if it finished | `deduplicationTtl` seconds after the first call |
 * | `debounce` | `deduplicationMode: 'debounce'` + `deduplicationTtl` | replaces the pending task's arguments and restarts its countdown (same task id) | the task starts (the worker releases it), at most `deduplicationTtl` + safety after the last call |
 *
 * Named modes, not BullMQ's `extend`/`replace` booleans: of their four combinations two do nothing
 * useful (`replace` without a delay, `extend` without a TTL) and debounce needs more than a flag here.
 * BullMQ replaces a delayed job by deleting it from its delayed set; a cq task may be held in a worker's
 * memory (an ETA under the broker's `eta_horizon`), parked on the broker (Redis, SQLite), or in a
 * PostgreSQL row, so no store can reach every copy. Instead every debounced call sends its own message
 * (same task id, countdown = `deduplicationTtl`) stamped with a random `stamp`, and moves the key's stamp
 * to it; a cq worker that comes to run a debounced message first releases the key with that stamp, and
 * drops the message when a newer one superseded it (`@cq/worker` `deduplication.ts`). So the task runs
 * once, with the last call's arguments, `deduplicationTtl` after the last call. Superseded messages stay
 * in the broker until due (then dropped): a cost in messages, not in runs. Python workers do not know
 * the stamps: on them every debounced message runs (simple and throttle need no worker help, except
 * that a Python worker does not release a simple key: it lives until the safety TTL).
 *
 * The store: the broker's transport when it offers @cq/kombu's `DeduplicatorProvider` (Redis: a hash
 * `_cq.dedup.<key>` with PEXPIRE, one Lua script per step; SQLite: a row of `cq_deduplication` in the
 * broker file, IMMEDIATE transactions; PostgreSQL: a row of `cq_deduplication`, one upsert; memory),
 * else the result backend's (Redis), else {@link DeduplicationUnsupportedError} before anything is sent.
 * The key is `<task name>\x1f<deduplicationId>`. The message carries the header `cq_deduplication:
 * { id, mode, stamp }` (extra headers pass through Python Celery untouched).
 *
 * Failures: the key is claimed before the message is sent; when the send fails the key is released
 * again (if it still names this call's message). A client that dies between the two leaves a key naming
 * a task that does not exist: simple and debounce keys then live out their safety TTL
 * (`task_deduplication_safety_ttl`, default 3600 s, beyond the countdown), throttle keys their TTL.
 * A worker that crashes mid-task: with `acksLate` the message comes back and the key stays right; with
 * early acks the task is lost (as Celery loses it) and the key lives out its safety TTL.
 */
import { randomUUID } from 'node:crypto';
import { isDeduplicatorProvider, redact, type Deduplicator, type Transport } from '@cq/kombu';
import type { Backend } from '@cq/backend';
import { settingsSlice, type CelerySettings } from './config.js';
import { DeduplicationOptionsError, DeduplicationUnsupportedError } from './errors.js';
import type { AsyncResult } from './result.js';
import { Signal } from './signals.js';
import type { ApplyOptions, Task } from './task.js';

/** See the module doc: `simple` (until the task is ready), `throttle` (a fixed window), `debounce` (last call wins). */
export type DeduplicationMode = 'simple' | 'throttle' | 'debounce';

/** The message header of a deduplicated task (cq's; Python Celery passes it through). */
export const DEDUPLICATION_HEADER = 'cq_deduplication';

/** What {@link DEDUPLICATION_HEADER} holds: the caller's id, the mode, and the stamp naming this message. */
export interface DeduplicationHeader {
  id: string;
  mode: DeduplicationMode;
  stamp: string;
}

/** The app's deduplication settings (cq's). */
export interface DeduplicationSettings {
  /**
   * Seconds a `simple` or `debounce` key outlives what it waits for (the task's countdown or ETA, or
   * the debounce window) when no worker releases it: a client or worker that died, a Python worker.
   * Default 3600 (celery-once's default timeout). A simple-mode task running longer than this loses
   * its deduplication.
   */
  task_deduplication_safety_ttl: number;
}

declare module './config.js' {
  // The deduplication slice of the settings: optional in `app.conf` (present only when configured).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the slice's members
  interface CelerySettings extends Partial<DeduplicationSettings> {}
}

/** Defaults of {@link DeduplicationSettings}. */
export const DEDUPLICATION_DEFAULTS: Readonly<DeduplicationSettings> = Object.freeze({ task_deduplication_safety_ttl: 3600 });

/** The app's deduplication settings with their defaults. */
export function deduplicationSettings(conf: CelerySettings): DeduplicationSettings {
  return settingsSlice<DeduplicationSettings>(conf, DEDUPLICATION_DEFAULTS);
}

/**
 * A call was deduplicated: no new task was sent (`simple`, `throttle`), or the pending task's message
 * was replaced by this call's (`debounce`). `taskId` is the task every such call shares. Sender: the
 * task name (BullMQ's `deduplicated` event).
 */
export const task_deduplicated = new Signal<{ taskId: string; deduplicationId: string; mode: DeduplicationMode }, string>('task_deduplicated');

/** The store key of `deduplicationId` for task `taskName`: ids are scoped by task name. */
export function deduplicationKey(taskName: string, deduplicationId: string): string {
  return `${taskName}\u001f${deduplicationId}`;
}

const MODES: ReadonlySet<string> = new Set(['simple', 'throttle', 'debounce']);

/** The {@link DEDUPLICATION_HEADER} of a message, or null when it has none (or a malformed one). */
export function readDeduplicationHeader(headers: Record<string, unknown> | undefined): DeduplicationHeader | null {
  const value = headers?.[DEDUPLICATION_HEADER] as Partial<DeduplicationHeader> | undefined;
  if (typeof value !== 'object' || value === null) return null;
  const { id, mode, stamp } = value;
  return typeof id === 'string' && typeof stamp === 'string' && typeof mode === 'string' && MODES.has(mode)
    ? { id, mode, stamp } : null;
}

/** What a claim needs, from the call's options: validated, TTL in ms. */
interface Plan {
  id: string;
  mode: DeduplicationMode;
  /** How long the key lives without a release, ms. */
  ttlMs: number;
  /** Debounce: the countdown of every message, seconds. */
  window: number | null;
}

/** @throws DeduplicationOptionsError for options that do not fit together (see the messages). */
function plan(options: ApplyOptions, safetyTtl: number): Plan {
  const { deduplicationId: id, deduplicationTtl: ttl } = options;
  if (typeof id !== 'string' || id === '') throw new DeduplicationOptionsError(`deduplicationId must be a non-empty string, got ${JSON.stringify(id)}`);
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0)) {
    throw new DeduplicationOptionsError(`deduplicationTtl must be a number of seconds > 0, got ${JSON.stringify(ttl)}`);
  }
  const mode = options.deduplicationMode ?? (ttl === undefined ? 'simple' : 'throttle');
  if (!MODES.has(mode)) throw new DeduplicationOptionsError(`deduplicationMode must be 'simple', 'throttle' or 'debounce', got ${JSON.stringify(mode)}`);
  if (mode === 'simple' && ttl !== undefined) {
    throw new DeduplicationOptionsError("deduplicationMode 'simple' lasts until the task is ready and takes no deduplicationTtl: drop the mode for 'throttle'");
  }
  if (mode !== 'simple' && ttl === undefined) throw new DeduplicationOptionsError(`deduplicationMode '${mode}' needs deduplicationTtl (seconds)`);
  if (mode === 'debounce' && (options.countdown !== undefined || options.eta !== undefined)) {
    throw new DeduplicationOptionsError("deduplicationMode 'debounce' sets the countdown to deduplicationTtl itself: drop countdown/eta");
  }
  if (options.transaction) {
    throw new DeduplicationOptionsError('deduplicationId cannot be combined with transaction: the claim would outlive a rollback');
  }
  if (mode === 'throttle') return { id, mode, ttlMs: ttl! * 1000, window: null };
  if (mode === 'debounce') return { id, mode, ttlMs: (ttl! + safetyTtl) * 1000, window: ttl! };
  return { id, mode, ttlMs: (delaySeconds(options) + safetyTtl) * 1000, window: null };
}

/** Seconds until the task is due (countdown or ETA), 0 when it is due now. */
function delaySeconds(options: ApplyOptions): number {
  if (options.countdown !== undefined) return Math.max(0, options.countdown);
  if (options.eta === undefined) return 0;
  const due = options.eta instanceof Date ? options.eta.getTime() : Date.parse(options.eta);
  return Number.isFinite(due) ? Math.max(0, (due - Date.now()) / 1000) : 0;
}

/** What {@link sendDeduplicated} needs of the app. */
export interface DeduplicationApp {
  readonly conf: CelerySettings;
  /** The app's deduplication store (see {@link chooseDeduplicator}). */
  deduplicator(): Promise<Deduplicator>;
  asyncResult<R = unknown>(id: string): AsyncResult<R>;
  sendTask<R = unknown>(name: string, args?: unknown[] | null, options?: ApplyOptions, task?: Task): Promise<AsyncResult<R>>;
}

/**
 * `sendTask` with `options.deduplicationId` (see the module doc): claims the key, then sends the task
 * (through `app.sendTask`, without the deduplication options and with the header), or resolves to the
 * pending task's AsyncResult. A failed send releases the key and rejects with its error.
 * @throws DeduplicationOptionsError, DeduplicationUnsupportedError (nothing sent); the store's kombu
 *   errors when it fails (nothing sent); what `sendTask` throws.
 */
export async function sendDeduplicated<R>(app: DeduplicationApp, name: string, args: unknown[] | null, options: ApplyOptions, task?: Task): Promise<AsyncResult<R>> {
  const p = plan(options, deduplicationSettings(app.conf).task_deduplication_safety_ttl);
  const store = await app.deduplicator();
  const key = deduplicationKey(name, p.id);
  const stamp = randomUUID();
  const own = options.taskId ?? randomUUID();
  const held = await store.claim(key, { taskId: own, stamp }, p.ttlMs, p.mode === 'debounce');
  if (held) task_deduplicated.send(name, { taskId: held.taskId, deduplicationId: p.id, mode: p.mode });
  if (held && p.mode !== 'debounce') return app.asyncResult<R>(held.taskId);
  // A debounced call that found the key held sends its message under the held task's id.
  const taskId = held?.taskId ?? own;
  const { deduplicationId: _i, deduplicationTtl: _t, deduplicationMode: _m, ...rest } = options;
  const header: DeduplicationHeader = { id: p.id, mode: p.mode, stamp };
  const send: ApplyOptions = {
    ...rest,
    taskId,
    ...(p.window === null ? {} : { countdown: p.window }),
    headers: { ...options.headers, [DEDUPLICATION_HEADER]: header },
  };
  try {
    return await app.sendTask<R>(name, args, send, task);
  } catch (err) {
    await store.release(key, taskId, stamp).catch(() => undefined);
    throw err;
  }
}

/**
 * The deduplication store of an app: its broker transport's when it has one, else its result
 * backend's. `transport` connects the app's publishing connection; `backend` is the app's backend
 * (null when results are disabled).
 * @throws DeduplicationUnsupportedError naming both URLs and the fix when neither keeps records.
 */
export async function chooseDeduplicator(
  transport: () => Promise<Transport>, backend: () => Promise<Backend | null>, urls: { broker: string; backend: string | null },
): Promise<Deduplicator> {
  const t = await transport();
  if (isDeduplicatorProvider(t)) return t.deduplicator();
  const b = await backend();
  if (b && isDeduplicatorProvider(b)) return b.deduplicator();
  throw new DeduplicationUnsupportedError(
    `deduplicationId needs a store for its keys, and neither the broker ${redact(urls.broker)} nor the result backend `
    + `${urls.backend === null ? '(none)' : redact(urls.backend)} keeps one: use a redis://, sqlite:// or postgresql:// broker, `
    + 'or a redis:// result backend beside your broker',
  );
}

/**
 * The id of the task holding `deduplicationId` of task `taskName`, or null when no call holds it
 * (BullMQ `getDeduplicationJobId`).
 * @throws DeduplicationUnsupportedError, or the store's errors.
 */
export async function getDeduplicationTaskId(app: Pick<DeduplicationApp, 'deduplicator'>, taskName: string, deduplicationId: string): Promise<string | null> {
  return (await (await app.deduplicator()).get(deduplicationKey(taskName, deduplicationId)))?.taskId ?? null;
}

/**
 * Ends the deduplication of `deduplicationId` of task `taskName` now, whatever holds it: the next call
 * sends a new task (BullMQ `removeDeduplicationKey`). Resolves true when a key was removed.
 * @throws DeduplicationUnsupportedError, or the store's errors.
 */
export async function removeDeduplicationKey(app: Pick<DeduplicationApp, 'deduplicator'>, taskName: string, deduplicationId: string): Promise<boolean> {
  return (await app.deduplicator()).remove(deduplicationKey(taskName, deduplicationId));
}
