/**
 * Map, starmap and chunks (Celery `celery.canvas.xmap`, `xstarmap`, `chunks`; "Canvas" → Map &
 * Starmap, Chunks).
 *
 * - `xmap(task, it)` is **one** `celery.map` message whose worker calls the task's function once per
 *   item, in that worker, and returns the list of results; `xstarmap` does the same with each item
 *   spread as the arguments (`celery.starmap`).
 * - `chunks(task, it, n)` splits `it` into parts of `n` items; applying it sends a group of
 *   `celery.starmap` signatures, one per part, and resolves with their GroupResult (a list of lists).
 * - `xmap`/`xstarmap` messages are routed by the inner task's name through `task_routes` (Celery's
 *   `route_name`); the starmaps of `chunks` are not (Celery 5.2 drops the `route_name` it passes on
 *   to the group, so they go where `celery.starmap` is routed).
 *
 * Their dicts are Celery's: immutable, no args, the task's signature dict and the items in `kwargs`,
 * and, as Celery writes them, `subtask_type: null`. A Python or cq worker receiving such a dict runs
 * it as the plain built-in task (`celery.chunks` then sends the group itself):
 *
 * ```json
 * {"task": "celery.chunks", "args": [], "kwargs": {"task": {"task": "tasks.add", ...}, "it": [[1, 2], [3, 4]], "n": 1},
 *  "options": {}, "subtask_type": null, "immutable": true}
 * ```
 *
 * ```ts
 * await xmap(double, [1, 2, 3]).applyAsync();               // one task → [2, 4, 6]
 * await chunks(add, [[1, 1], [2, 2], [3, 3]], 2).applyAsync(); // GroupResult → [[2, 4], [6]]
 * ```
 */
import { lookupRoute, type ApplyOptions, type AsyncResult, type SignatureDict, type Task, type TaskRoutes } from '@cq/app';
import { SignatureDictError } from './errors.js';
import { Group } from './group.js';
import type { GroupResult } from './group-result.js';
import { toSignatureOptions } from './options.js';
import { Signature, type AnySignature, type CanvasApp } from './signature.js';

/** A task, or a signature of it, whose function a map calls. */
export type MapTarget<Args extends unknown[], R> = Task<Args, R> | Signature<Args, R> | SignatureDict | string;

function targetDict(task: MapTarget<unknown[], unknown>): SignatureDict {
  if (task instanceof Signature) return task.toDict();
  if (typeof task === 'string') return new Signature(task).toDict();
  if (isSignatureDict(task)) return structuredClone(task);
  return new Signature(task).toDict();
}

function isSignatureDict(value: unknown): value is SignatureDict {
  return typeof value === 'object' && value !== null && !(value instanceof Signature) && typeof (value as { task?: unknown }).task === 'string'
    && !('fn' in value);
}

function appOf(task: MapTarget<unknown[], unknown>, app: CanvasApp | null): CanvasApp | null {
  if (app) return app;
  if (task instanceof Signature) return task.app;
  if (typeof task === 'object' && task !== null && 'app' in task) return (task as Task).app;
  return null;
}

/** Reads `{task, it[, n]}` from a map or chunks dict's kwargs. */
function mapKwargs(dict: SignatureDict): { task: SignatureDict; it: unknown[]; n: unknown } {
  const kw = (dict.kwargs ?? {}) as { task?: unknown; it?: unknown; n?: unknown };
  if (typeof kw.task !== 'string' && (typeof kw.task !== 'object' || kw.task === null)) throw new SignatureDictError(`${dict.task} signature without kwargs.task`);
  if (!Array.isArray(kw.it)) throw new SignatureDictError(`${dict.task} signature: kwargs.it must be a list`);
  return { task: targetDict(kw.task as SignatureDict | string), it: kw.it, n: kw.n };
}

/** Shared by xmap and xstarmap (Celery `_basemap`). */
abstract class BaseMap<R> extends Signature<[], R> {
  constructor(taskName: string, task: MapTarget<unknown[], unknown>, it: Iterable<unknown>, app: CanvasApp | null) {
    super(taskName, { kwargs: { task: targetDict(task), it: [...it] }, immutable: true, app: appOf(task, app) });
  }

  /** The task's signature dict (`kwargs.task`). */
  get target(): SignatureDict {
    return this.kwargs['task'] as SignatureDict;
  }

  /** The items (`kwargs.it`). */
  get items(): unknown[] {
    return this.kwargs['it'] as unknown[];
  }

  /**
   * Sends one `celery.map`/`celery.starmap` message with kwargs `{task, it}` and no args (Celery
   * `_basemap.apply_async`); partial args are ignored (the signature is immutable). The message is
   * routed by the **inner** task's name through `task_routes` (Celery passes `route_name=<task name>`):
   * a route found fills the queue, exchange, routing key and priority that neither `options` nor the
   * signature's options set. Resolves with its result.
   */
  override async applyAsync(_args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    return await super.applyAsync([], { ...options, ...this.routeByTarget(options) });
  }

  /** The route `task_routes` gives the inner task's name, minus what the call or the signature sets (Celery `lpmerge(route, options)`). */
  private routeByTarget(options: ApplyOptions): ApplyOptions {
    const app = this.app as { conf?: { task_routes?: TaskRoutes | null }; tasks?: ReadonlyMap<string, Task> } | null;
    const given = { ...this.options, ...toSignatureOptions(options) };
    const route = lookupRoute(app?.conf?.task_routes ?? null, this.target.task, [], { ...this.kwargs }, given, app?.tasks?.get(this.task));
    if (!route) return {};
    const out: ApplyOptions = {};
    if (route.queue != null && given['queue'] == null) out.queue = route.queue;
    if (route.exchange != null && given['exchange'] == null) out.exchange = route.exchange;
    if (route.routing_key != null && given['routing_key'] == null) out.routingKey = route.routing_key;
    if (route.priority != null && given['priority'] == null) out.priority = route.priority;
    return out;
  }
}

/** `celery.map(task, it)`: the task called on each item, in one worker (Celery `xmap`). */
export class XMap<R = unknown> extends BaseMap<R[]> {
  constructor(task: MapTarget<unknown[], R>, it: Iterable<unknown>, app: CanvasApp | null = null) {
    super('celery.map', task, it, app);
  }

  /** Reads a `celery.map` dict (Celery `xmap.from_dict`). @throws SignatureDictError without kwargs.task/it. */
  static override fromDict(dict: SignatureDict, app: CanvasApp | null = null): XMap {
    const { task, it } = mapKwargs(dict);
    return withDictFields(new XMap(task, it, app), dict);
  }
}

/** `celery.starmap(task, it)`: the task called with each item spread as its arguments (Celery `xstarmap`). */
export class XStarmap<R = unknown> extends BaseMap<R[]> {
  constructor(task: MapTarget<unknown[], R>, it: Iterable<readonly unknown[]>, app: CanvasApp | null = null) {
    super('celery.starmap', task, it, app);
  }

  /** Reads a `celery.starmap` dict (Celery `xstarmap.from_dict`). @throws SignatureDictError without kwargs.task/it. */
  static override fromDict(dict: SignatureDict, app: CanvasApp | null = null): XStarmap {
    const { task, it } = mapKwargs(dict);
    return withDictFields(new XStarmap(task, it as unknown[][], app), dict);
  }
}

/** Splits `it` into lists of `n` items, the last one shorter (Celery `celery.utils.functional.chunks`). */
export function splitChunks<T>(it: Iterable<T>, n: number): T[][] {
  const size = Math.max(1, Math.trunc(n));
  const items = [...it];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `it` in parts of `n` items, each part a `celery.starmap` task of a group (Celery `chunks`). */
export class Chunks<R = unknown> extends Signature<[], R[][], GroupResult<R[][]>> {
  constructor(task: MapTarget<unknown[], R>, it: Iterable<readonly unknown[]>, n: number, app: CanvasApp | null = null) {
    super('celery.chunks', { kwargs: { task: targetDict(task), it: [...it], n }, immutable: true, app: appOf(task, app) });
  }

  /** Reads a `celery.chunks` dict (Celery `chunks.from_dict`). @throws SignatureDictError without kwargs.task/it/n. */
  static override fromDict(dict: SignatureDict, app: CanvasApp | null = null): Chunks {
    const { task, it, n } = mapKwargs(dict);
    if (typeof n !== 'number') throw new SignatureDictError('celery.chunks signature: kwargs.n must be a number');
    return withDictFields(new Chunks(task, it as unknown[][], n, app), dict);
  }

  /** The group of `celery.starmap` signatures, one per part of `n` items (Celery `chunks.group()`). */
  group(): Group<R[][]> {
    const { task, it, n } = mapKwargs(this.toDict());
    return new Group(splitChunks(it as unknown[][], n as number).map((part) => new XStarmap(task, part, this.app)), this.app);
  }

  /**
   * Sends the group of starmaps (Celery `chunks.apply_async` → `self.group().apply_async(...)`); the
   * signature's options and `options` apply to the group (`taskId` is the group id). Resolves with
   * the GroupResult, whose `get()` gives one list of results per part.
   */
  override async applyAsync(_args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<GroupResult<R[][]>> {
    const { task_id: taskId, ...rest } = { ...this.options, ...toSignatureOptions(options) };
    const group = this.group();
    group.set(rest);
    if (typeof taskId === 'string') group.options['task_id'] = taskId;
    return await group.applyAsync([], options.kwargs ? { kwargs: options.kwargs } : {});
  }
}

function withDictFields<S extends AnySignature>(sig: S, dict: SignatureDict): S {
  sig.options = structuredClone(dict.options ?? {});
  return sig;
}

/** `task` applied to every item of `it` in one worker task (Celery `xmap(task.s(), it)` / `task.map(it)`). */
export function xmap<Args extends unknown[], R>(task: Task<Args, R> | Signature<Args, R>, it: Iterable<Args[0]>): XMap<R>;
export function xmap(task: SignatureDict | string, it: Iterable<unknown>): XMap;
export function xmap(task: MapTarget<unknown[], unknown>, it: Iterable<unknown>): XMap {
  return new XMap(task, it);
}

/** `task(...item)` for every item of `it` in one worker task (Celery `xstarmap(task.s(), it)` / `task.starmap(it)`). */
export function xstarmap<Args extends unknown[], R>(task: Task<Args, R> | Signature<Args, R>, it: Iterable<Args>): XStarmap<R>;
export function xstarmap(task: SignatureDict | string, it: Iterable<readonly unknown[]>): XStarmap;
export function xstarmap(task: MapTarget<unknown[], unknown>, it: Iterable<readonly unknown[]>): XStarmap {
  return new XStarmap(task, it);
}

/** `it` split into parts of `n` items, each run as a `celery.starmap` task of one group (Celery `chunks(task.s(), it, n)` / `task.chunks(it, n)`). */
export function chunks<Args extends unknown[], R>(task: Task<Args, R> | Signature<Args, R>, it: Iterable<Args>, n: number): Chunks<R>;
export function chunks(task: SignatureDict | string, it: Iterable<readonly unknown[]>, n: number): Chunks;
export function chunks(task: MapTarget<unknown[], unknown>, it: Iterable<readonly unknown[]>, n: number): Chunks {
  return new Chunks(task, it, n);
}
