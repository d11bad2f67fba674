/**
 * A signature: a task call packed as data (Celery `celery.canvas.Signature`, "Canvas: Designing
 * Work-flows" → Signatures). It carries the task name, partial `args`/`kwargs`, apply options and the
 * `immutable` flag, and travels as Celery's six-key dict:
 *
 * ```json
 * {"task": "tasks.add", "args": [3], "kwargs": {}, "options": {"task_id": "…", "reply_to": "…"},
 *  "subtask_type": null, "immutable": false}
 * ```
 *
 * ```ts
 * const add = app.task('tasks.add', (x: number, y: number) => x + y);
 * const sig = signature(add, [2]);          // add.s(2)
 * await sig.applyAsync([40]);               // sends tasks.add(40, 2): partial args are prepended
 * await immutable(add, [1, 1]).delay(99);   // add.si(1, 1): 99 is ignored
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { ApplyOptions, AsyncResult, SignatureDict, Task, TaskApp } from '@cq/app';
import { CanvasError, SignatureDictError } from './errors.js';
import { inTransaction, toApplyOptions, toSignatureOptions, signatureList, type SignatureOptions } from './options.js';

/**
 * What a signature needs from the app: sending (`sendTask`), result handles, and, when the app is a
 * full `Celery`, its client id (`oid`, frozen into `reply_to` as Celery does) and its result backend.
 */
export interface CanvasApp extends TaskApp {
  readonly oid?: string;
  backend?(): Promise<import('@cq/backend').Backend | null>;
}

/** Any signature, plain or composite, whatever its types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySignature = Signature<any[], any, unknown>;

/**
 * The `subtask_type`s whose dicts have a class of their own (Celery's `Signature.TYPES`, filled by
 * `@Signature.register_type()`): `signatureFromDict` (from-dict.ts) reads them into that class, and
 * {@link Signature.fromDict} refuses them. Celery 5.2 writes `chain`, `group` and `chord`; its
 * xmap, xstarmap and chunks dicts carry `subtask_type: null` (they read as the plain built-in task),
 * but a dict naming those types is read into their class too.
 */
export const COMPOSITE_SUBTASK_TYPES: ReadonlySet<string> = new Set(['chain', 'group', 'chord', 'xmap', 'xstarmap', 'chunks']);

/** The ids {@link Signature.freeze} gives a signature (Celery `freeze(_id, group_id, chord, root_id, parent_id, group_index)`). */
export interface FreezeIds {
  id?: string | undefined;
  groupId?: string | null | undefined;
  groupIndex?: number | null | undefined;
  rootId?: string | null | undefined;
  parentId?: string | null | undefined;
  /** The chord body dict this task counts toward. */
  chord?: SignatureDict | null | undefined;
}

/** Options of the Signature constructor; every field defaults as Celery's `Signature.__init__`. */
export interface SignatureInit {
  /** Partial positional args; default `[]`. */
  args?: readonly unknown[];
  /** Partial keyword args; default `{}`. */
  kwargs?: Record<string, unknown>;
  /** Apply options in Celery's snake_case (`{queue: 'q', countdown: 5}`) or camelCase ApplyOptions. */
  options?: SignatureOptions | ApplyOptions;
  /** `null` for a plain task; `chain`, `group` for composites. */
  subtaskType?: string | null;
  /** Parent results are not prepended (Celery `si()`). Default false. */
  immutable?: boolean;
  /** The app that sends it; default the task's app. Needed for `applyAsync` of a signature by name. */
  app?: CanvasApp | null;
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that `dict` is a signature dict (an object with a string `task`) and returns its
 * `subtask_type` (`null` when missing).
 * @throws SignatureDictError otherwise.
 */
export function subtaskTypeOf(dict: unknown): string | null {
  if (!isDict(dict) || typeof dict['task'] !== 'string') throw new SignatureDictError(`not a signature dict: ${JSON.stringify(dict)}`);
  const type = dict['subtask_type'];
  return typeof type === 'string' ? type : null;
}

/** Deep copy of plain JSON-like data (options hold nested signature dicts). */
function copy<T>(value: T): T {
  return structuredClone(value);
}

/**
 * A task call as data. `Args` are the task's parameters, `R` its result, `Handle` what `applyAsync`
 * resolves with (a GroupResult for groups); partial application is not tracked in the types (the
 * arguments are checked by the worker, as in Celery).
 */
export class Signature<Args extends unknown[] = unknown[], R = unknown, Handle = AsyncResult<R>> {
  readonly task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Apply options in Celery's snake_case, as sent in the dict. */
  options: SignatureOptions;
  readonly subtaskType: string | null;
  immutable: boolean;
  app: CanvasApp | null;
  /** Phantom field that keeps the argument types. */
  declare readonly __args?: Args;
  /** Phantom field that keeps the result type. */
  declare readonly __result?: R;
  /** Phantom field: `true` in the type of {@link immutable} signatures, which ignore the parent's result. */
  declare readonly __immutable?: boolean;

  constructor(task: string | Task<Args, R>, init: SignatureInit = {}) {
    this.task = typeof task === 'string' ? task : task.name;
    this.args = [...(init.args ?? [])];
    this.kwargs = { ...(init.kwargs ?? {}) };
    this.options = toSignatureOptions(init.options ?? {});
    this.subtaskType = init.subtaskType ?? null;
    this.immutable = init.immutable ?? false;
    this.app = init.app ?? (typeof task === 'string' ? null : task.app);
  }

  /**
   * A plain signature from its dict, as Python writes a task's (`subtask_type: null`). Each
   * composite class has its own `fromDict` (`Chain.fromDict`, ...); to read a dict of any kind into
   * its class, as Celery's polymorphic `Signature.from_dict` does, use `signatureFromDict(dict, app)`.
   * Extra keys such as the legacy `chord_size` are ignored; an unknown `subtask_type` is kept.
   * @throws SignatureDictError when `dict` has no string `task` or non-list `args`, or when its
   *   `subtask_type` is a composite one (`chain`, `group`, `chord`, `xmap`, `xstarmap`, `chunks`), so
   *   no caller gets a plain Signature for a composite dict by mistake.
   */
  static fromDict(dict: SignatureDict | Record<string, unknown>, app: CanvasApp | null = null): AnySignature {
    const type = subtaskTypeOf(dict);
    if (type !== null && COMPOSITE_SUBTASK_TYPES.has(type)) {
      throw new SignatureDictError(`a ${type} signature dict is not a plain signature: read it with signatureFromDict(dict, app), which gives its class`);
    }
    const d = dict as Record<string, unknown>;
    const args = d['args'] ?? [];
    if (!Array.isArray(args)) throw new SignatureDictError(`signature ${String(d['task'])}: args must be a list`);
    const sig = new Signature(d['task'] as string, {
      args, kwargs: isDict(d['kwargs']) ? d['kwargs'] : {}, subtaskType: type, immutable: d['immutable'] === true, app,
    });
    sig.options = isDict(d['options']) ? copy(d['options']) : {};
    return sig;
  }

  /** The dict Python Celery sends: `{task, args, kwargs, options, subtask_type, immutable}`. */
  toDict(): SignatureDict {
    return {
      task: this.task, args: copy(this.args), kwargs: copy(this.kwargs), options: copy(this.options),
      subtask_type: this.subtaskType, immutable: this.immutable,
    };
  }

  toJSON(): SignatureDict {
    return this.toDict();
  }

  /** A deep copy (Celery `clone`); partial `args` are prepended and `kwargs` merged unless immutable. */
  clone(args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}): this {
    const sig = Signature.fromDict(this.toDict(), this.app) as this;
    const merged = this.merge(args, kwargs);
    sig.args = merged.args;
    sig.kwargs = merged.kwargs;
    return sig;
  }

  /**
   * Celery `_merge`: partial args go **before** the signature's own args and partial kwargs over its
   * kwargs, unless the signature is immutable.
   */
  merge(args: readonly unknown[], kwargs: Record<string, unknown> = {}): { args: unknown[]; kwargs: Record<string, unknown> } {
    if (this.immutable) return { args: [...this.args], kwargs: { ...this.kwargs } };
    return { args: [...args, ...this.args], kwargs: { ...this.kwargs, ...kwargs } };
  }

  /** Sets apply options (Celery `set`); camelCase or snake_case keys. Returns this. */
  set(options: ApplyOptions | SignatureOptions & { immutable?: boolean }): this {
    const { immutable: imm, ...rest } = options as SignatureOptions & { immutable?: boolean };
    if (typeof imm === 'boolean') this.immutable = imm;
    Object.assign(this.options, toSignatureOptions(rest));
    return this;
  }

  /** Adds a callback applied with this task's result on success (Celery `link`). Returns `callback`. */
  link<S extends AnySignature | SignatureDict>(callback: S): S {
    this.appendOption('link', callback);
    return callback;
  }

  /**
   * Adds an errback applied when this task fails (Celery `link_error`): it is sent with the failed
   * task's id as first argument, or, for a task registered in the executing cq worker whose function
   * takes more than one parameter, called there with `(request, error, traceback)`. Returns `errback`.
   */
  linkError<S extends AnySignature | SignatureDict>(errback: S): S {
    this.appendOption('link_error', errback);
    return errback;
  }

  private appendOption(key: string, sig: AnySignature | SignatureDict): void {
    const items = signatureList(this.options[key]) ?? [];
    items.push(...signatureList(sig)!);
    this.options[key] = items;
  }

  /**
   * Gives the signature its task id now (Celery `freeze`): keeps `options.task_id` when set, else uses
   * `id` or a new uuid4; sets `reply_to` to the app's client id and the ids given (`chord`: the body
   * this task completes, for the last task of a chain in a chord header). Returns the result.
   */
  freeze(ids: FreezeIds = {}): AsyncResult<R> {
    const opts = this.options;
    if (typeof opts['task_id'] !== 'string') opts['task_id'] = ids.id ?? randomUUID();
    if (ids.chord) opts['chord'] = ids.chord;
    if (ids.rootId) opts['root_id'] = ids.rootId;
    if (ids.parentId) opts['parent_id'] = ids.parentId;
    if (opts['reply_to'] === undefined && this.app?.oid) opts['reply_to'] = this.app.oid;
    if (ids.groupId && opts['group_id'] === undefined) opts['group_id'] = ids.groupId;
    if (ids.groupIndex !== undefined && ids.groupIndex !== null) opts['group_index'] = ids.groupIndex;
    return this.requireApp().asyncResult<R>(opts['task_id'] as string);
  }

  /**
   * Sends the task (Celery `apply_async`): `args` are prepended to the signature's args unless it is
   * immutable, `options.kwargs` merged into its kwargs, and `options` win over the signature's own,
   * except `group_id` once set. `options.transaction` (the caller's `pg` client inside `BEGIN`) sends
   * through that transaction (see the app's `ApplyOptions.transaction`). Resolves once the broker has
   * the message.
   * @throws CanvasError when the signature has no app (built from a name without `app`).
   */
  async applyAsync(args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<Handle> {
    const merged = this.merge(args, options.kwargs ?? {});
    const opts = this.mergeOptions(options);
    return await this.requireApp().sendTask<R>(this.task, merged.args, { ...toApplyOptions(opts), kwargs: merged.kwargs, ...inTransaction(options) }) as Handle;
  }

  /** `applyAsync` with partial positional args only (Celery `delay`). */
  delay(...args: unknown[]): Promise<Handle> {
    return this.applyAsync(args);
  }

  /** The signature's options with `options` over them; `group_id` already set is kept (Celery `_IMMUTABLE_OPTIONS`). */
  protected mergeOptions(options: ApplyOptions | SignatureOptions): SignatureOptions {
    const given = toSignatureOptions(options);
    if (this.options['group_id'] !== undefined) delete given['group_id'];
    return { ...this.options, ...given };
  }

  protected requireApp(): CanvasApp {
    if (!this.app) throw new CanvasError(`signature ${this.task} has no app: build it from a task, or pass { app }`);
    return this.app;
  }
}

/** A signature of `task` with partial `args` (Celery `task.s(*args)` / `signature(task, args, kwargs, options)`). */
export function signature<Args extends unknown[], R>(
  task: Task<Args, R> | string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options: ApplyOptions | SignatureOptions = {},
): Signature<Args, R> {
  return new Signature<Args, R>(task, { args, kwargs, options });
}

/** A signature whose type says it ignores its parent's result (what {@link immutable} returns). */
export type ImmutableSignature<Args extends unknown[] = unknown[], R = unknown> = Signature<Args, R> & { readonly __immutable?: true };

/** An immutable signature: the parent's result is not prepended (Celery `task.si(*args)`). */
export function immutable<Args extends unknown[], R>(
  task: Task<Args, R> | string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options: ApplyOptions | SignatureOptions = {},
): ImmutableSignature<Args, R> {
  return new Signature<Args, R>(task, { args, kwargs, options, immutable: true }) as ImmutableSignature<Args, R>;
}
