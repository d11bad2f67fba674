/** The result backend base (Celery `celery/backends/base.py`); see {@link Backend}. */
import type { Connection } from '@cq/kombu';
import { dumps, formatPythonIsoDate, getSerializer, loads, parseIsoDate, prepareAccept } from '@cq/kombu';
import {
  BackendClosedError, BackendConfigurationError, BackendGetMetaError, BackendStoreError, TimeoutError,
  WaitAbortedError, hasCqCode,
} from './errors.js';
import { errorFromExceptionInfo, isExceptionInfo, prepareException } from './exceptions.js';
import { listen, wake } from './local-wake.js';
import { EXCEPTION_STATES, FAILURE, READY_STATES, RETRY, REVOKED, STARTED, SUCCESS, type State } from './states.js';
import type { ChordPart, ChordPartRequest, GroupMeta, HasAsTuple, TaskMeta, TaskRequest } from './types.js';

/** Options shared by every backend. Each mirrors a Celery setting. */
export interface BackendOptions {
  /** The URL the backend was created from (Celery `result_backend`); the base only keeps it. */
  url?: string;
  /** Serializer for stored values (Celery `result_serializer`). Default `'json'`. */
  serializer?: string;
  /**
   * Serializers/content types allowed when reading (Celery `result_accept_content`). Default `['json']`,
   * or `[serializer]` when another serializer is chosen and `accept` is not given.
   */
  accept?: readonly string[];
  /** Seconds a result is kept (Celery `result_expires`). Default 86400 (1 day); `null` or 0: forever. */
  expires?: number | null;
  /** Also store name, args, kwargs, worker, retries and queue (Celery `result_extended`). Default false. */
  extended?: boolean;
  /** The client's id, its reply queue for `rpc://` (Celery `app.oid`). Set by the app. */
  oid?: string;
  /** The app's broker URL, which `rpc://` results travel over. Set by the app. */
  brokerUrl?: string;
  /**
   * Opens a new connection to the app's broker, its scheme resolved through the app's transports
   * (`app.connection()`). Set by the app; `rpc://` sends and receives results over it.
   */
  brokerConnection?: () => Connection;
  /**
   * The app's settings (`app.conf`), by Celery's names. Set by the app; a backend reads its own
   * settings from it (the database backends read `database_table_names`, …). Default `{}`.
   */
  settings?: Readonly<Record<string, unknown>>;
}

export interface StoreResultOptions {
  /** Traceback text stored with the state. Default null. */
  traceback?: string | null;
  /** The task's request: group/parent ids, children, and the `extended` fields. */
  request?: TaskRequest | null;
}

/** Options of {@link Backend.waitFor}; times in **seconds**, as Celery's `wait_for(timeout=, interval=)`. */
export interface WaitForOptions {
  /** Give up after this many **seconds** with a {@link TimeoutError}. Default: wait forever. */
  timeout?: number;
  /** Longest gap between two reads, in **seconds**. Polling starts at 1 ms and doubles up to this. Default 0.1 (Celery: 0.5). */
  interval?: number;
  /** Cancels the wait with a {@link WaitAbortedError}. */
  signal?: AbortSignal;
}

/** Default longest gap between two polls of `waitFor`, in ms (Celery's `wait_for` uses 500). */
export const DEFAULT_POLL_INTERVAL_MS = 100;

let instances = 0;

/**
 * The result backend base (Celery `celery/backends/base.py` `Backend`): builds the meta dict of a
 * state change, encodes task results and exceptions, reads metas back (a missing task reads PENDING),
 * waits for a ready state, and leaves storage to a handful of protected hooks.
 *
 * A SUCCESS already stored is never overwritten by a later state (Celery's dedup); every subclass
 * keeps that promise in `_storeResult` and the shared suite (`@cq/backend/testing`) checks it.
 *
 * ```ts
 * await backend.markAsDone(taskId, 42, request);                    // worker side
 * const meta = await backend.waitFor(taskId, { timeout: 10 });      // client side: { status: 'SUCCESS', result: 42, ... }
 * ```
 *
 * Options ({@link BackendOptions}, each a Celery setting): `serializer` (`result_serializer`, default
 * `json`), `accept` (`result_accept_content`, default `[serializer]`), `expires` in **seconds**
 * (`result_expires`, default 86400; null or 0 keeps results forever), `extended` (`result_extended`,
 * default false). Metas have Celery's shape `{task_id, status, result, traceback, children,
 * date_done, ...}` ({@link TaskMeta}); `waitFor` times are in **seconds** ({@link WaitForOptions}).
 *
 * A subclass fills in the protected hooks `_storeResult`, `_getTaskMetaFor`, `_forget`,
 * `_saveGroup`, `_restoreGroup`, `_deleteGroup`, `_cleanup` (and optionally `_getManyTaskMeta`,
 * `_close`, the chord hooks); a key-value store extends {@link KeyValueStoreBackend} instead.
 *
 * Errors (errors.ts): the constructor throws `BackendConfigurationError` for an unknown serializer
 * or a bad `expires`; a failing store surfaces as `BackendStoreError` on writes and
 * `BackendGetMetaError` on reads (cause kept); any use after `close()` throws `BackendClosedError`;
 * `waitFor` rejects with `TimeoutError` or, when its signal fires, `WaitAbortedError`; a value that
 * does not decode rejects with kombu's `ContentDisallowedError` / `DecodeError`. `getResult` of a
 * FAILURE, RETRY or REVOKED state returns (does not throw) a `RemoteTaskError` with the stored traceback.
 */
export abstract class Backend {
  readonly url: string | undefined;
  readonly serializer: string;
  readonly accept: readonly string[];
  /** Seconds, or null for never. */
  readonly expires: number | null;
  readonly extended: boolean;
  /** Content type and encoding of what `encode` writes (used by `decode`). */
  protected readonly contentType: string;
  protected readonly contentEncoding: string;
  #closed = false;
  readonly #instanceScope = `instance:${++instances}`;

  /** @throws BackendConfigurationError for an unknown serializer (or accept entry) or a negative `expires`. */
  constructor(options: BackendOptions = {}) {
    this.url = options.url;
    this.serializer = options.serializer ?? 'json';
    this.accept = [...(options.accept ?? [this.serializer])];
    const expires = options.expires === undefined ? 86400 : options.expires;
    if (expires !== null && !(Number.isFinite(expires) && expires >= 0)) {
      throw new BackendConfigurationError(`result expires must be a number of seconds >= 0 or null, got ${String(expires)}`);
    }
    this.expires = expires || null;
    this.extended = options.extended ?? false;
    try {
      const serializer = getSerializer(this.serializer);
      this.contentType = serializer.contentType;
      this.contentEncoding = serializer.contentEncoding;
      prepareAccept(this.accept);
    } catch (err) {
      throw new BackendConfigurationError(
        `unknown result serializer in ${JSON.stringify({ serializer: this.serializer, accept: this.accept })}: ` +
          'use "json" or register it with registerSerializer() from @cq/kombu',
        { cause: err },
      );
    }
  }

  // ---------------------------------------------------------------------------------------- writing

  /**
   * Store a state (Celery `store_result`). `result` is encoded first: an Error in an exception state
   * becomes an exception dict, anything with `asTuple()` becomes its result tuple.
   * @returns false when nothing was written because the task already has a SUCCESS.
   * @throws BackendStoreError wrapping a storage failure; kombu's EncodeError when `result` does not serialize.
   */
  storeResult(taskId: string, result: unknown, state: State, options: StoreResultOptions = {}): Promise<boolean> {
    // Not `async`: one promise per stored state (this is on every task's path), failures as `guard` words them.
    let meta: TaskMeta;
    try {
      this.assertOpen(taskId);
      meta = this.resultMeta(taskId, this.encodeResult(result, state), state, options.traceback ?? null, options.request ?? null);
    } catch (err) {
      return Promise.reject(err);
    }
    let stored: Promise<boolean>;
    try {
      stored = this._storeResult(taskId, meta);
    } catch (err) {
      return Promise.reject(this.failure('store', `storing ${state} for task ${taskId}`, taskId, err));
    }
    return stored.then((written) => {
      if (written) this.wakeWaiters(taskId);
      return written;
    }, (err: unknown) => {
      throw this.failure('store', `storing ${state} for task ${taskId}`, taskId, err);
    });
  }

  /** STARTED with `meta` as result, usually `{pid, hostname}` (Celery `mark_as_started`). */
  markAsStarted(taskId: string, meta: Record<string, unknown> = {}, request?: TaskRequest | null): Promise<boolean> {
    return this.storeResult(taskId, meta, STARTED, { request });
  }

  /** SUCCESS with the return value (Celery `mark_as_done`). */
  markAsDone(taskId: string, result: unknown, request?: TaskRequest | null): Promise<boolean> {
    return this.storeResult(taskId, result, SUCCESS, { request });
  }

  /** FAILURE; `error` may be anything thrown or an exception dict (Celery `mark_as_failure`). */
  markAsFailure(taskId: string, error: unknown, traceback?: string | null, request?: TaskRequest | null): Promise<boolean> {
    return this.storeResult(taskId, toExceptionInfo(error), FAILURE, { traceback, request });
  }

  /** REVOKED with a `TaskRevokedError(reason)` dict, e.g. reason `"revoked"`/`"expired"` (Celery `mark_as_revoked`). */
  markAsRevoked(taskId: string, reason = '', request?: TaskRequest | null): Promise<boolean> {
    const info = { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' };
    return this.storeResult(taskId, info, REVOKED, { request });
  }

  /** RETRY with the exception that caused the retry (Celery `mark_as_retry`). */
  markAsRetry(taskId: string, error: unknown, traceback?: string | null, request?: TaskRequest | null): Promise<boolean> {
    return this.storeResult(taskId, toExceptionInfo(error), RETRY, { traceback, request });
  }

  // ---------------------------------------------------------------------------------------- reading

  /**
   * The stored meta (Celery `get_task_meta`), as stored: for exception states `result` is the
   * exception dict (see {@link getResult} for an Error). A task with nothing stored reads
   * `{status: 'PENDING', result: null, traceback: null, children: [], date_done: null, task_id}`.
   * @throws BackendGetMetaError wrapping a storage failure; kombu's ContentDisallowedError/DecodeError for unreadable values.
   */
  async getTaskMeta(taskId: string): Promise<TaskMeta> {
    this.assertOpen(taskId);
    const meta = await this.guard('read', `reading task ${taskId}`, taskId, () => this._getTaskMetaFor(taskId));
    return meta ? completeMeta(meta, taskId) : pendingMeta(taskId);
  }

  /** Metas of several tasks at once, in the order asked (Celery `get_many`, one round). */
  async getManyTaskMeta(taskIds: readonly string[]): Promise<TaskMeta[]> {
    this.assertOpen();
    const metas = await this.guard('read', `reading ${taskIds.length} tasks`, undefined, () => this._getManyTaskMeta(taskIds));
    return taskIds.map((id, i) => {
      const meta = metas[i];
      return meta ? completeMeta(meta, id) : pendingMeta(id);
    });
  }

  /** The task's state (Celery `get_state`). */
  async getState(taskId: string): Promise<State> {
    return (await this.getTaskMeta(taskId)).status;
  }

  /**
   * The task's result (Celery `get_result`): the return value, or for FAILURE/RETRY/REVOKED a
   * {@link RemoteTaskError} (returned, not thrown) carrying the stored traceback.
   */
  async getResult(taskId: string): Promise<unknown> {
    const meta = await this.getTaskMeta(taskId);
    if (EXCEPTION_STATES.has(meta.status) && isExceptionInfo(meta.result)) {
      return errorFromExceptionInfo(meta.result, meta.traceback);
    }
    return meta.result;
  }

  /**
   * Resolve with the meta at the first ready state (SUCCESS, FAILURE, REVOKED) without throwing for
   * failures (Celery `wait_for`). Polls with a backoff from 1 ms up to `interval`; a state stored by
   * any backend on the same store in this process wakes the wait at once.
   * @throws TimeoutError (code CQ_BACKEND_TIMEOUT) after `timeout` seconds; WaitAbortedError when `signal` fires.
   */
  async waitFor(taskId: string, options: WaitForOptions = {}): Promise<TaskMeta> {
    const { timeout, signal } = options;
    const timeoutMs = timeout === undefined ? undefined : timeout * 1000;
    const intervalMs = Math.max(1, options.interval === undefined ? DEFAULT_POLL_INTERVAL_MS : options.interval * 1000);
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    let woken = false;
    let resume: (() => void) | null = null;
    const unlisten = listen(this.wakeChannel(taskId), () => {
      woken = true;
      resume?.();
    });
    try {
      for (let delay = 1; ; delay = Math.min(delay * 2, intervalMs)) {
        if (signal?.aborted) throw new WaitAbortedError(`waiting for task ${taskId} was aborted`, { cause: signal.reason, taskId });
        woken = false;
        const meta = await this.getTaskMeta(taskId);
        if (READY_STATES.has(meta.status)) return meta;
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          throw new TimeoutError(`The operation timed out: task ${taskId} was not ready after ${timeout} s`, timeoutMs ?? 0, { taskId });
        }
        if (woken) continue;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resume = null;
            resolve();
          };
          const timer = setTimeout(done, Math.min(delay, intervalMs, remaining));
          signal?.addEventListener('abort', done);
          resume = done;
        });
      }
    } finally {
      unlisten();
    }
  }

  // ---------------------------------------------------------------------------------------- removal, groups

  /** Delete a task's stored state; it then reads PENDING (Celery `forget`). */
  async forget(taskId: string): Promise<void> {
    this.assertOpen(taskId);
    await this.guard('store', `forgetting task ${taskId}`, taskId, () => this._forget(taskId));
  }

  /**
   * Save a group's result tuple (Celery `save_group`, what `GroupResult.save()` calls). `result` is
   * the tuple `[[groupId, parent], [child tuples…]]` (a `ResultTuple`) or anything with `asTuple()`
   * (a `HasAsTuple`).
   */
  async saveGroup(groupId: string, result: unknown): Promise<void> {
    this.assertOpen(groupId);
    await this.guard('store', `saving group ${groupId}`, groupId, () => this._saveGroup(groupId, prepareValue(result)));
  }

  /** A saved group, or null (Celery `restore_group`; the tuple is not turned into objects here). */
  async restoreGroup(groupId: string): Promise<GroupMeta | null> {
    this.assertOpen(groupId);
    return this.guard('read', `restoring group ${groupId}`, groupId, () => this._restoreGroup(groupId));
  }

  /** Delete a saved group (Celery `delete_group`). */
  async deleteGroup(groupId: string): Promise<void> {
    this.assertOpen(groupId);
    await this.guard('store', `deleting group ${groupId}`, groupId, () => this._deleteGroup(groupId));
  }

  /** Delete results older than `expires` where the store does not expire them itself (Celery `cleanup`). */
  async cleanup(): Promise<void> {
    this.assertOpen();
    await this.guard('store', 'cleaning up expired results', undefined, () => this._cleanup());
  }

  /** Release connections. Idempotent; any later call throws BackendClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this._close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * True when the store drops results after `expires` by itself (Celery `supports_autoexpire`); when
   * false and `result_expires` is set, beat schedules `celery.backend_cleanup` daily at 4:00, which
   * calls {@link cleanup}. Default false, as in Celery; key-value stores (Redis, memory) and rpc:// say true.
   */
  get supportsAutoexpire(): boolean {
    return false;
  }

  /**
   * Called by the app before it sends a task whose result it will read (Celery `on_task_call`).
   * Default: nothing. Backends that need the client ready first (rpc:// declares its reply queue)
   * override it.
   */
  async onTaskCall(_taskId: string): Promise<void> {}

  // ---------------------------------------------------------------------------------------- chords

  /**
   * Prepares the store for a chord whose header group `groupId` has `size` parts, before the header
   * is sent (Celery `set_chord_size` + `apply_chord`). `headerIds` are the header tasks' ids in
   * order (what Celery's `_apply_chord_incr` saves as the group, e.g. on memcached).
   * @returns true when this backend joins the chord itself through {@link onChordPartReturn} (Redis, memcached);
   *   false (the default) when the caller must send `celery.chord_unlock`, which polls the header's
   *   results (Celery's base `apply_chord` → `fallback_chord_unlock`).
   */
  async applyChord(_groupId: string, _size: number, _headerIds?: readonly string[]): Promise<boolean> {
    return false;
  }

  /**
   * A chord header task finished in `state` with `result` (the return value, or the error); called
   * by the worker after the task's own state is stored (Celery `on_chord_part_return`). Resolves with
   * every header part in group order when this call completed the chord, which happens for exactly
   * one call per chord, else null. Applying the body is the caller's job (the backend knows no app).
   * Default: null (no native chords: `celery.chord_unlock` joins them).
   * @throws what the store throws.
   */
  async onChordPartReturn(_request: ChordPartRequest, _state: State, _result: unknown): Promise<ChordPart[] | null> {
    return null;
  }

  /**
   * Counts one more header part for the chord of group `groupId`, a task `taskId` added while the
   * chord runs (Celery `add_to_chord`, used by `Task.add_to_chord`).
   * @returns true when counted; false (the default) when this backend cannot grow a chord (Celery's
   *   base backend raises NotImplementedError; only Redis can).
   * @throws what the store throws.
   */
  async addToChord(_groupId: string, _taskId: string): Promise<boolean> {
    return false;
  }

  // ---------------------------------------------------------------------------------------- hooks

  /**
   * Persist `meta` unless the task already has a SUCCESS (Celery `_store_result`). The meta is
   * complete and in Celery's key order; `meta.result` is already encoded (plain data).
   * @returns whether it was written.
   */
  protected abstract _storeResult(taskId: string, meta: TaskMeta): Promise<boolean>;

  /** The stored meta, or null when there is none (Celery `_get_task_meta_for`). */
  protected abstract _getTaskMetaFor(taskId: string): Promise<TaskMeta | null>;

  /** Several metas, null for missing (Celery `_mget_to_results`). Default: one read per id. */
  protected _getManyTaskMeta(taskIds: readonly string[]): Promise<(TaskMeta | null)[]> {
    return Promise.all(taskIds.map((id) => this._getTaskMetaFor(id)));
  }

  /** Delete one task's state (Celery `_forget`). */
  protected abstract _forget(taskId: string): Promise<void>;

  /** Store a group's result tuple (Celery `_save_group`). */
  protected abstract _saveGroup(groupId: string, result: unknown): Promise<void>;

  /** Read a saved group or null (Celery `_restore_group`). */
  protected abstract _restoreGroup(groupId: string): Promise<GroupMeta | null>;

  /** Delete a saved group (Celery `_delete_group`). */
  protected abstract _deleteGroup(groupId: string): Promise<void>;

  /** Delete expired results (Celery `cleanup`); a no-op for stores with their own TTL. */
  protected abstract _cleanup(): Promise<void>;

  /** Release resources. Default: nothing to release. */
  protected async _close(): Promise<void> {}

  /**
   * Identifies the underlying store for in-process wake-ups: backends returning the same scope see
   * each other's writes at once in `waitFor`. Default: this instance only.
   */
  protected wakeScope(): string {
    return this.#instanceScope;
  }

  /** Wake this process's `waitFor` calls for `taskId`, e.g. from a pub/sub message. */
  protected wakeWaiters(taskId: string): void {
    wake(this.wakeChannel(taskId));
  }

  /** Current time; date_done is taken from it (overridable in tests). */
  protected now(): Date {
    return new Date();
  }

  /** How `date_done` is written: Python's `isoformat()` of aware UTC, `2026-11-22T05:55:20.378000+00:00`. */
  protected formatDate(date: Date): string {
    return formatPythonIsoDate(date);
  }

  /** Reads any ISO 8601 date-time Python or JS writes; naive means UTC. */
  protected parseDate(text: string): Date {
    return parseIsoDate(text);
  }

  // ---------------------------------------------------------------------------------------- helpers

  /** Serialize with the result serializer (Celery `encode`). */
  protected encode(value: unknown): Buffer {
    return dumps(value, this.serializer).body;
  }

  /** Deserialize a stored value, enforcing `accept` (Celery `decode`). */
  protected decode(payload: Buffer | Uint8Array | string): unknown {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
    return loads(body, this.contentType, this.contentEncoding, this.accept);
  }

  /** Celery `encode_result`: Errors in exception states → exception dict; `asTuple()` → tuple. */
  protected encodeResult(result: unknown, state: State): unknown {
    if (EXCEPTION_STATES.has(state) && result instanceof Error) return prepareException(result);
    return prepareValue(result);
  }

  /** Celery `_get_result_meta` plus `task_id`, in Celery's key order. */
  protected resultMeta(taskId: string, result: unknown, state: State, traceback: string | null, request: TaskRequest | null): TaskMeta {
    const meta: Record<string, unknown> = {
      status: state,
      result,
      traceback,
      children: (request?.children ?? []).map(prepareValue),
      date_done: READY_STATES.has(state) ? this.formatDate(this.now()) : null,
    };
    if (request?.group) meta.group_id = request.group;
    if (request?.parentId) meta.parent_id = request.parentId;
    if (this.extended && request) {
      meta.name = request.task ?? null;
      meta.args = request.args ? [...request.args] : null;
      meta.kwargs = request.kwargs ? { ...request.kwargs } : null;
      meta.worker = request.hostname ?? null;
      meta.retries = request.retries ?? null;
      meta.queue = request.deliveryInfo?.routingKey ?? null;
      if (request.stamps && Object.keys(request.stamps).length > 0) {
        meta.stamped_headers = [...(request.stampedHeaders ?? Object.keys(request.stamps))];
        Object.assign(meta, request.stamps);
      }
    }
    meta.task_id = taskId;
    return meta as unknown as TaskMeta;
  }

  protected assertOpen(taskId?: string): void {
    if (this.#closed) throw new BackendClosedError('the result backend is closed', { taskId });
  }

  /** Runs a hook; driver errors become BackendStoreError/BackendGetMetaError, cq errors pass through. */
  private async guard<T>(kind: 'store' | 'read', what: string, taskId: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.failure(kind, what, taskId, err);
    }
  }

  /** What {@link guard} rejects with for `err`: cq's errors as they are, a driver's wrapped. */
  private failure(kind: 'store' | 'read', what: string, taskId: string | undefined, err: unknown): unknown {
    if (hasCqCode(err)) return err;
    const ErrorClass = kind === 'store' ? BackendStoreError : BackendGetMetaError;
    return new ErrorClass(`${what} failed: ${errorText(err)}`, { cause: err, taskId });
  }

  private wakeChannel(taskId: string): string {
    return `${this.wakeScope()}\0${taskId}`;
  }
}

/** Celery `prepare_value`: result objects are stored as their tuples. */
function prepareValue(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && typeof (value as Partial<HasAsTuple>).asTuple === 'function') {
    return (value as HasAsTuple).asTuple();
  }
  return value;
}

function toExceptionInfo(error: unknown): unknown {
  return isExceptionInfo(error) && !(error instanceof Error) ? error : prepareException(error);
}

function pendingMeta(taskId: string): TaskMeta {
  return { status: 'PENDING', result: null, traceback: null, children: [], date_done: null, task_id: taskId };
}

/** Fill keys an older or foreign writer may have left out, keeping the stored order. */
function completeMeta(meta: TaskMeta, taskId: string): TaskMeta {
  const base = { status: meta.status, result: null, traceback: null, children: [], date_done: null };
  return Object.assign(base, meta, { task_id: meta.task_id ?? taskId });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
