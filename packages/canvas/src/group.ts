/**
 * A group: tasks sent at once to run in parallel (Celery `celery.canvas.group`, "Canvas" → Groups).
 *
 * As in Celery 5, no `celery.group` message is sent: each member goes out on its own with the
 * headers `group` = the group id and `group_index` = its position (Celery ≥ 5.3 sets the index for
 * every group; 5.2 only for chord headers). Partial args given to `applyAsync` are prepended to each
 * mutable member. The result is a {@link GroupResult}, stored only by `save()`.
 *
 * ```ts
 * const res = await group(signature(add, [1, 1]), signature(add, [2, 2])).applyAsync();
 * await res.get({ timeout: 10 }); // [2, 4]
 * ```
 */
import { randomUUID } from 'node:crypto';
import { addTrail, type ApplyOptions, type AsyncResult, type SignatureDict } from '@cq/app';
import { CanvasUsageError, SignatureDictError } from './errors.js';
import { signatureFromDict } from './from-dict.js';
import { GroupResult } from './group-result.js';
import { toApplyOptions } from './options.js';
import { Signature, type AnySignature, type CanvasApp, type FreezeIds } from './signature.js';
import type { ResultsOf, SigOrDict } from './types.js';

export class Group<R extends unknown[] = unknown[]> extends Signature<unknown[], R, GroupResult<R>> {
  /** The member signatures, in order (their position is `group_index`). */
  readonly tasks: AnySignature[];

  constructor(tasks: readonly (AnySignature | SignatureDict)[], app: CanvasApp | null = null) {
    const sigs = tasks.map((t) => (t instanceof Signature ? t : signatureFromDict(t, app)));
    super('celery.group', { subtaskType: 'group', app: app ?? sigs.find((s) => s.app)?.app ?? null });
    this.tasks = sigs;
  }

  /** Reads `{"task": "celery.group", "kwargs": {"tasks": [...]}, "subtask_type": "group", ...}`. */
  static override fromDict(dict: SignatureDict, app: CanvasApp | null = null): Group {
    const tasks = ((dict.kwargs ?? {}) as { tasks?: unknown }).tasks;
    if (!Array.isArray(tasks)) throw new SignatureDictError('group signature without kwargs.tasks');
    const group = new Group(tasks as SignatureDict[], app);
    group.args = [...(dict.args ?? [])];
    group.options = structuredClone(dict.options ?? {});
    group.immutable = dict.immutable === true;
    return group;
  }

  override toDict(): SignatureDict {
    return { ...super.toDict(), kwargs: { ...structuredClone(this.kwargs), tasks: this.tasks.map((t) => t.toDict()) } };
  }

  override clone(args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}): this {
    const group = Group.fromDict(this.toDict(), this.app) as this;
    const merged = this.merge(args, kwargs);
    group.args = merged.args;
    group.kwargs = merged.kwargs;
    return group;
  }

  /**
   * Sends every member (Celery `group.apply_async`): the group id is `options.taskId` (or the
   * group's `task_id` option, else a new uuid4); each member gets that `group_id`, its `group_index`,
   * and a frozen task id; `args` are prepended to mutable members' args; other options apply to every
   * member. Nested groups are unrolled. An empty `chain` option (the end of a chain) is ignored.
   * Sent while a task runs, the GroupResult is recorded as one of its children (unless `addToParent: false`).
   * @throws CanvasUsageError for `link`/`linkError` (Celery: "Cannot add link to group: use a chord").
   */
  override async applyAsync(args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<GroupResult<R>> {
    const { taskId, link, linkError, chain, kwargs, rootId, addToParent, ...rest } = { ...toApplyOptions(this.options), ...options };
    if (link?.length || linkError?.length) throw new CanvasUsageError('Cannot add link to group: use a chord, or link the members');
    if (chain?.length) throw new CanvasUsageError('a group cannot carry the rest of a chain: put it in a chain, which makes group + next task a chord');
    const groupId = taskId ?? randomUUID();
    const partial = [...args, ...this.args];
    const members = this.unroll();
    const results: AsyncResult<unknown>[] = [];
    for (const [index, member] of members.entries()) {
      const sig = member.clone();
      if (!sig.immutable && partial.length > 0) sig.args = [...partial, ...sig.args];
      if (sig.subtaskType === null) sig.freeze({ groupId, groupIndex: index, rootId: rootId ?? null });
      results.push(await sig.applyAsync([], {
        ...rest, ...(kwargs ? { kwargs } : {}), ...(rootId ? { rootId } : {}), groupId, groupIndex: index, addToParent: false,
      }) as AsyncResult<unknown>);
    }
    // Sent from a running task, the group is one child of it (Celery: the members are not added, the group is).
    const result = new GroupResult<R>(groupId, results, this.requireApp());
    return addToParent === false ? result : addTrail(result);
  }

  /**
   * Gives the group its id (`options.task_id`, kept when set, else `ids.id` or a new uuid4) and each
   * member its task id, that group id and its `group_index` now (Celery `group.freeze`); applying
   * the group later sends the members with these ids. Returns the GroupResult.
   */
  freezeGroup(ids: FreezeIds = {}): GroupResult<R> {
    const opts = this.options;
    if (typeof opts['task_id'] !== 'string') opts['task_id'] = ids.id ?? randomUUID();
    if (ids.rootId) opts['root_id'] = ids.rootId;
    const groupId = opts['task_id'] as string;
    const rootId = typeof opts['root_id'] === 'string' ? opts['root_id'] : null;
    const results = this.unroll().map((m, index) => m.freeze({ groupId, groupIndex: index, rootId }) as AsyncResult<R[number]>);
    return new GroupResult<R>(groupId, results, this.requireApp());
  }

  /**
   * Links `callback` to the **first** member, as an immutable clone, since a member cannot pass its
   * siblings' results (Celery `group.link`; use a chord to get them all). Returns the clone.
   */
  override link<S extends AnySignature | SignatureDict>(callback: S): S {
    const first = this.tasks[0];
    if (!first) throw new CanvasUsageError('cannot link an empty group');
    const sig = (callback instanceof Signature ? callback : signatureFromDict(callback, this.app)).clone();
    sig.immutable = true;
    return first.link(sig) as unknown as S;
  }

  /** Adds `errback` to every member: any of them may fail (Celery `group.link_error`). Returns `errback`. */
  override linkError<S extends AnySignature | SignatureDict>(errback: S): S {
    for (const member of this.tasks) member.linkError(errback);
    return errback;
  }

  /** Members with nested groups spliced in (Celery `_prepared` unrolls them). */
  unroll(): AnySignature[] {
    return this.tasks.flatMap((t) => (t instanceof Group ? t.unroll() : [t]));
  }
}

/**
 * Tasks sent together to run in parallel (Celery `group(...)`). The result type is the tuple of the
 * members' results (`unknown` for dicts and signatures by name).
 */
export function group<const T extends readonly SigOrDict[]>(...tasks: T): Group<ResultsOf<T>> {
  return new Group<ResultsOf<T>>(tasks);
}
