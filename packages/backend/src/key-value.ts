/** The key-value template (Celery `KeyValueStoreBackend`); see {@link KeyValueStoreBackend}. */
import { Backend, type BackendOptions } from './backend.js';
import { BackendGetMetaError } from './errors.js';
import { SUCCESS } from './states.js';
import type { GroupMeta, TaskMeta } from './types.js';

export interface KeyValueStoreBackendOptions extends BackendOptions {
  /** Prefix for every key (Celery `result_backend_transport_options.global_keyprefix`). Default `''`. */
  keyPrefix?: string;
}

/**
 * The key-value template (Celery `KeyValueStoreBackend`): a task's meta lives under
 * `celery-task-meta-<id>`, a group under `celery-taskset-meta-<id>`, each as the result serializer's
 * bytes of the meta dict — with json, the same keys and values Python Celery reads and writes, so a
 * store can be shared with Python workers and clients. A store fills in get, mget, set, delete and
 * optionally incr.
 *
 * Celery `celery/backends/base.py` `KeyValueStoreBackend` (docs "Result backends"): the abstract
 * hooks are `get(key)`, `mget(keys)`, `set(key, value, ttlSeconds)` (ttl: the `expires` option in
 * **seconds**, null = keep) and `delete(key)`, values as Buffers; optional `incr(key)` counts chord
 * parts and optional `setUnlessSucceeded` writes unless SUCCESS is stored in one step (else
 * `_storeResult` reads, then writes). Option `keyPrefix` (Celery
 * `result_backend_transport_options.global_keyprefix`, default `''`) goes before every key. A stored
 * meta that does not decode is a `BackendGetMetaError`; other errors are the base's ({@link Backend}).
 */
export abstract class KeyValueStoreBackend extends Backend {
  /** Celery `task_keyprefix`. */
  readonly taskKeyPrefix: string;
  /** Celery `group_keyprefix`. */
  readonly groupKeyPrefix: string;
  /** Celery `chord_keyprefix` (counters of stores with `incr`). */
  readonly chordKeyPrefix: string;

  constructor(options: KeyValueStoreBackendOptions = {}) {
    super(options);
    const prefix = options.keyPrefix ?? '';
    this.taskKeyPrefix = `${prefix}celery-task-meta-`;
    this.groupKeyPrefix = `${prefix}celery-taskset-meta-`;
    this.chordKeyPrefix = `${prefix}chord-unlock-`;
  }

  /** Keys are written with the `expires` TTL, so the store drops old results itself. */
  override get supportsAutoexpire(): boolean {
    return true;
  }

  /** Celery `get_key_for_task`. */
  keyForTask(taskId: string): string {
    return this.taskKeyPrefix + taskId;
  }

  /** Celery `get_key_for_group`. */
  keyForGroup(groupId: string): string {
    return this.groupKeyPrefix + groupId;
  }

  // ---------------------------------------------------------------------------------------- store hooks

  /** The value under `key`, or null (Celery `get`). */
  protected abstract get(key: string): Promise<Buffer | null>;

  /** Values of several keys, null where missing, in order (Celery `mget`). */
  protected abstract mget(keys: readonly string[]): Promise<(Buffer | null)[]>;

  /** Write `value`; it expires after `ttlSeconds` (null: never) (Celery `set`, e.g. Redis SETEX). */
  protected abstract set(key: string, value: Buffer, ttlSeconds: number | null): Promise<void>;

  /** Remove `key` if present (Celery `delete`). */
  protected abstract delete(key: string): Promise<void>;

  /** Atomically add one and return the new value (Celery `incr`, chord counters). Optional. */
  protected incr?(key: string): Promise<number>;

  /**
   * Optional, for stores that can do it in one step: write `value` unless the meta stored under
   * `key` is SUCCESS; resolves true when written. Without it, `_storeResult` reads, then writes.
   */
  protected setUnlessSucceeded?(key: string, value: Buffer, ttlSeconds: number | null): Promise<boolean>;

  // ---------------------------------------------------------------------------------------- Backend hooks

  /**
   * Celery's sequence: read the current meta; skip when it is SUCCESS; else set with `expires` — in one
   * step with `setUnlessSucceeded`. (Not `async`: that step's promise is handed back as is; a meta that
   * does not encode throws here, which `storeResult` reports as it reports a rejection.)
   */
  protected _storeResult(taskId: string, meta: TaskMeta): Promise<boolean> {
    const key = this.keyForTask(taskId);
    if (this.setUnlessSucceeded) return this.setUnlessSucceeded(key, this.encode(meta), this.expires);
    return this.readThenWrite(key, taskId, meta);
  }

  private async readThenWrite(key: string, taskId: string, meta: TaskMeta): Promise<boolean> {
    const current = await this.get(key);
    if (current !== null && this.decodeMeta(current, taskId).status === SUCCESS) return false;
    await this.set(key, this.encode(meta), this.expires);
    return true;
  }

  protected async _getTaskMetaFor(taskId: string): Promise<TaskMeta | null> {
    const value = await this.get(this.keyForTask(taskId));
    return value === null ? null : this.decodeMeta(value, taskId);
  }

  protected override async _getManyTaskMeta(taskIds: readonly string[]): Promise<(TaskMeta | null)[]> {
    if (taskIds.length === 0) return [];
    const values = await this.mget(taskIds.map((id) => this.keyForTask(id)));
    return taskIds.map((id, i) => {
      const value = values[i];
      return value == null ? null : this.decodeMeta(value, id);
    });
  }

  protected async _forget(taskId: string): Promise<void> {
    await this.delete(this.keyForTask(taskId));
  }

  /** Stored as `{"result": <tuple>}`, exactly what Python's `_save_group` writes. */
  protected async _saveGroup(groupId: string, result: unknown): Promise<void> {
    await this.set(this.keyForGroup(groupId), this.encode({ result }), this.expires);
  }

  protected async _restoreGroup(groupId: string): Promise<GroupMeta | null> {
    const value = await this.get(this.keyForGroup(groupId));
    if (value === null) return null;
    const decoded = this.decode(value) as { result?: unknown; date_done?: string | null } | null;
    return { group_id: groupId, result: decoded?.result ?? null, date_done: decoded?.date_done ?? null };
  }

  protected async _deleteGroup(groupId: string): Promise<void> {
    await this.delete(this.keyForGroup(groupId));
  }

  /** Key-value stores expire keys themselves (Celery's base `cleanup` does nothing). */
  protected async _cleanup(): Promise<void> {}

  private decodeMeta(value: Buffer, taskId: string): TaskMeta {
    const meta = this.decode(value);
    if (typeof meta !== 'object' || meta === null || typeof (meta as { status?: unknown }).status !== 'string') {
      throw new BackendGetMetaError(`the value stored for task ${taskId} is not a task meta`, { taskId });
    }
    return meta as TaskMeta;
  }
}
