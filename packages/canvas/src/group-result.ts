/**
 * The results of a group's members (Celery `celery.result.GroupResult`): wait for all of them, count
 * the finished ones, and save/restore the group in the result backend (`celery-taskset-meta-<id>`,
 * value `{"result": [[groupId, null], [[[id1, null], null], ...]]}`, as Python Celery stores it).
 *
 * ```ts
 * const res = await group(signature(add, [1, 1]), signature(add, [2, 2])).applyAsync();
 * await res.save();
 * const again = await GroupResult.restore(res.id, app);
 * await again!.get({ timeout: 10 }); // [2, 4]
 * ```
 */
import { READY_STATES, type Backend, type ResultTuple } from '@cq/backend';
import { ImproperlyConfigured, TimeoutError, type AsyncResult, type GetOptions, type ResultNode, type RevokeOptions } from '@cq/app';
import type { CanvasApp } from './signature.js';

/** Options of {@link GroupResult.join}: `get()`'s, and `callback` (Celery `join(callback=...)`). */
export interface JoinOptions extends GetOptions {
  /** Called with each member's id and value, in order, instead of collecting them (the result is then `[]`). */
  callback?: (taskId: string, value: unknown) => void;
}

export class GroupResult<R extends unknown[] = unknown[]> implements ResultNode {
  /** The result this group follows, as Celery's `GroupResult.parent` (e.g. in a chain). */
  parent: AsyncResult | null = null;

  constructor(
    /** The group id (header `group` of every member). */
    readonly id: string,
    /** One result per member, in group order. */
    readonly results: AsyncResult<R[number]>[],
    private readonly app: CanvasApp,
  ) {}

  private async backend(): Promise<Backend> {
    const backend = this.app.backend ? await this.app.backend() : null;
    if (!backend) throw new ImproperlyConfigured('no result backend is configured: set `result_backend` to use GroupResult');
    return backend;
  }

  /** The members' states, in order, read in one round (Celery `get_many`). */
  private async states(): Promise<string[]> {
    const metas = await (await this.backend()).getManyTaskMeta(this.results.map((r) => r.id));
    return metas.map((m) => m.status);
  }

  /** How many members succeeded (Celery `completed_count`). */
  async completedCount(): Promise<number> {
    return (await this.states()).filter((s) => s === 'SUCCESS').length;
  }

  /** True when every member is ready: SUCCESS, FAILURE or REVOKED (Celery `ready`). */
  async ready(): Promise<boolean> {
    return (await this.states()).every((s) => READY_STATES.has(s));
  }

  /** True when every member succeeded (Celery `successful`). */
  async successful(): Promise<boolean> {
    return (await this.states()).every((s) => s === 'SUCCESS');
  }

  /** True when any member failed (Celery `failed`). */
  async failed(): Promise<boolean> {
    return (await this.states()).some((s) => s === 'FAILURE');
  }

  /** True when some member is not ready yet (Celery `waiting`). */
  async waiting(): Promise<boolean> {
    return !(await this.ready());
  }

  /**
   * Waits for every member and returns their results in group order (Celery `join`). `timeout` (s)
   * bounds the whole wait; with `propagate` (default true) the first failed member's error is thrown,
   * else its error is returned in its place. With `callback`, each `(id, value)` goes to it as it
   * comes, in order, and `[]` is returned. `interval` (s) is each member's polling interval.
   * @throws TimeoutError when `timeout` elapses; the member's error (RemoteTaskError) when it failed.
   */
  async join(options: JoinOptions = {}): Promise<R> {
    const { callback, ...getOptions } = options;
    options = getOptions;
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout * 1000;
    const values: unknown[] = [];
    for (const result of this.results) {
      const remaining = deadline === undefined ? undefined : Math.max(0, (deadline - Date.now()) / 1000);
      if (remaining === 0) throw new TimeoutError(`the operation timed out waiting ${options.timeout} s for group ${this.id}`);
      const timeout = remaining === undefined ? {} : { timeout: remaining };
      let value: unknown;
      if (options.propagate === false) {
        await result.get({ ...options, ...timeout });
        value = await result.result();
      } else {
        value = await result.get({ ...options, ...timeout });
      }
      if (callback) callback(result.id, value);
      else values.push(value);
    }
    return values as R;
  }

  /** The members (Celery `GroupResult.children`), for walking a result graph (`AsyncResult.collect()`). */
  children(): Promise<AsyncResult<R[number]>[]> {
    return Promise.resolve([...this.results]);
  }

  /**
   * Revokes every member in one broadcast (Celery `ResultSet.revoke`): see `AsyncResult.revoke`.
   * @throws ImproperlyConfigured without remote control (the control plugin of @cq/control).
   */
  async revoke(options: RevokeOptions = {}): Promise<void> {
    const control = (this.app as { control?: import('@cq/app').RevokeControl | null }).control;
    if (!control) throw new ImproperlyConfigured('revoke() needs remote control: pass control() from @cq/control in the app\'s plugins, or build the app with @cq/celery');
    await control.revoke(this.results.map((r) => r.id), {
      terminate: options.terminate ?? false, reply: options.wait ?? false,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
  }

  /** Forgets every member's result (Celery `ResultSet.forget`); the saved group stays until `delete()`. */
  async forget(): Promise<void> {
    for (const result of this.results) await result.forget();
  }

  /** Same as {@link join} (Celery `GroupResult.get`). */
  get(options: JoinOptions = {}): Promise<R> {
    return this.join(options);
  }

  /** Celery's result tuple: `[[groupId, null], [[[id, null], null], ...]]`. */
  asTuple(): ResultTuple {
    return [[this.id, null], this.results.map((r): ResultTuple => [[r.id, null], null])];
  }

  /** Stores the group in the result backend so {@link GroupResult.restore} can find it (Celery `save`). */
  async save(): Promise<void> {
    await (await this.backend()).saveGroup(this.id, this);
  }

  /** Removes the saved group (Celery `delete`). */
  async delete(): Promise<void> {
    await (await this.backend()).deleteGroup(this.id);
  }

  /**
   * A group saved by `save()`, here or by Python Celery, or null when none is stored under `groupId`
   * (Celery `GroupResult.restore`). Nested members (sub-groups) are read as their ids only.
   */
  static async restore<R extends unknown[] = unknown[]>(groupId: string, app: CanvasApp): Promise<GroupResult<R> | null> {
    const backend = app.backend ? await app.backend() : null;
    if (!backend) throw new ImproperlyConfigured('no result backend is configured: set `result_backend` to use GroupResult');
    const meta = await backend.restoreGroup(groupId);
    if (!meta) return null;
    const tuple = meta.result as ResultTuple;
    const children = Array.isArray(tuple) && Array.isArray(tuple[1]) ? tuple[1] : [];
    return new GroupResult<R>(groupId, children.map((child) => app.asyncResult(child[0][0])), app);
  }
}
