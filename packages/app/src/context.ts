/**
 * The request context of a running task (Celery `Task.request`, `celery/app/task.py` `Context`) and
 * the task context handed to bound tasks. `currentTask()` gives the same from anywhere inside the
 * task's async call tree (Celery `current_task`), through AsyncLocalStorage.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { HasAsTuple } from '@cq/backend';
import type { DeliveryInfo } from '@cq/kombu';
import { CanvasUnavailableError, type RetryOptions } from './errors.js';
import type { SignatureDict, TaskEmbed } from './protocol/types.js';
import type { AsyncResult, ResultApp, ResultNode } from './result.js';
import type { Task } from './task.js';

/** What the worker knows about the message being run. Field names follow Celery's Context in camelCase. */
export interface TaskRequest {
  id: string;
  /** Task name as sent. */
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Times this task was retried so far. */
  retries: number;
  eta: Date | null;
  expires: Date | null;
  /** Node name of the worker running it, e.g. `celery@host`. */
  hostname: string;
  deliveryInfo: DeliveryInfo;
  replyTo: string | null;
  correlationId: string | null;
  parentId: string | null;
  rootId: string | null;
  group: string | null;
  groupIndex: number | null;
  /** Producer's node name (`origin` header). */
  origin: string | null;
  /** `[hard, soft]` in seconds, as in the message. */
  timeLimit: [number | null, number | null];
  ignoreResult: boolean;
  /** Every header as received, including custom ones. */
  headers: Record<string, unknown>;
  embed: TaskEmbed;
  isEager: boolean;
}

/** The first argument of a task registered with `{ bind: true }` (Celery's `self`). */
export interface TaskContext {
  readonly name: string;
  readonly request: TaskRequest;
  /** Fires when the task should stop (soft time limit, revoke, cold shutdown). */
  readonly signal: AbortSignal;
  /** Throws the Retry signal; the worker re-sends the task (Celery `self.retry()`). */
  retry(options?: RetryOptions): never;
  /** Stores a custom state such as `PROGRESS` with its meta (Celery `update_state`). */
  updateState(update: { state: string; meta?: unknown }): Promise<void>;
}

/** A signature as the app sees it: a @cq/canvas `Signature` (anything with `toDict()`) or its dict. */
export type SignatureLike = { toDict(): SignatureDict } | SignatureDict;

/**
 * The first argument of a task registered with `{ bind: true }`: the {@link TaskContext} plus the
 * canvas methods of Celery's bound `self`. They are implemented by @cq/canvas and reach an app through
 * its canvas plugin (`canvas()`, part of the `@cq/celery` preset), which sets `app.canvas`; without it
 * they reject with {@link CanvasUnavailableError}.
 */
export interface BoundTaskContext extends TaskContext {
  /**
   * Replaces this task with `sig`, which takes over its task id, chain, link callbacks and errbacks,
   * group and chord membership, and root id (Celery `Task.replace`); a group becomes a chord whose
   * body, `celery.accumulate`, returns the list of the group's results. Sends the replacement, then
   * rejects with `Ignore`, so this task stores no result and the caller's AsyncResult resolves to the
   * replacement's. Always `return ctx.replace(sig)` (or await it): the task must not go on.
   * @throws ImproperlyConfigured when `sig` carries a `chord` option or is an empty chain;
   *   UnsupportedCanvasError (canvas) for a chain ending with a group; what sending throws.
   */
  replace(sig: SignatureLike): Promise<never>;
  /**
   * Adds `sig` to the chord this task is a header part of (Celery `Task.add_to_chord`): `sig` gets
   * this task's group id, group index, chord body and root id, the result backend counts one more
   * header part (Redis: INCR of `celery-taskset-meta-<group id>.t`), and `sig` is sent; the body
   * then receives its result too. With `{ lazy: true }` nothing is sent: the prepared signature is
   * returned for the caller to send (`sig.delay()`), as Celery's `lazy=True`. Plain task signatures only.
   * @throws NotInChordError when this task is not a chord header part; AddToChordUnsupportedError
   *   when the result backend cannot grow chords (only Redis can, as in Celery).
   */
  addToChord(sig: SignatureLike, options?: { lazy?: false }): Promise<AsyncResult<unknown>>;
  addToChord<S extends SignatureLike>(sig: S, options: { lazy: true }): Promise<S>;
}

/**
 * What the canvas plugin sets as `app.canvas` so that tasks can call `ctx.replace()` /
 * `ctx.addToChord()` (@cq/app cannot import canvas: dependencies point one way, canvas → app). `task` is the running task (its
 * `app` sends the new messages), `context` its context. With `lazy`, `addToChord` resolves with the
 * prepared signature, else with the AsyncResult of the sent one.
 */
export interface TaskCanvas {
  replace(task: Task, context: TaskContext, sig: SignatureLike): Promise<never>;
  addToChord(task: Task, context: TaskContext, sig: SignatureLike, lazy: boolean): Promise<unknown>;
  /** A GroupResult of `results` (what `AsyncResult.children()` makes of a stored group child). */
  groupResult?(app: ResultApp, id: string, results: ResultNode[]): ResultNode;
}

function requireCanvas(task: Task, method: string): TaskCanvas {
  const canvas = task.app.canvas ?? null;
  if (!canvas) {
    throw new CanvasUnavailableError(
      `ctx.${method}() needs the canvas plugin: pass canvas() from @cq/canvas in the app's plugins ` +
      `(new Celery(name, conf, { plugins: [canvas()] })), or build the app with @cq/celery`,
    );
  }
  return canvas;
}

/**
 * Gives `context` the canvas methods of {@link BoundTaskContext} for `task` and returns it (the same
 * object, so `currentTask()` sees them too). A context that has them already is returned as is.
 * Called by `Task.invoke`.
 */
export function bindTaskContext(task: Task, context: TaskContext): BoundTaskContext {
  const bound = context as BoundTaskContext;
  if (typeof bound.replace === 'function') return bound;
  Object.defineProperties(context, {
    replace: {
      configurable: true,
      value: async (sig: SignatureLike): Promise<never> => requireCanvas(task, 'replace').replace(task, context, sig),
    },
    addToChord: {
      configurable: true,
      value: async (sig: SignatureLike, options: { lazy?: boolean } = {}): Promise<unknown> =>
        requireCanvas(task, 'addToChord').addToChord(task, context, sig, options.lazy === true),
    },
  });
  return bound;
}

/**
 * A task context whose canvas methods ({@link BoundTaskContext}: `replace`, `addToChord`) come from its
 * prototype: a context built from a subclass is bound already ({@link bindTaskContext} returns it as
 * is), with no functions made per task. The worker builds its contexts this way; a subclass gives the
 * task it runs (`contextTask`) and the {@link TaskContext} members.
 */
export abstract class TaskContextBase implements BoundTaskContext {
  abstract readonly name: string;
  abstract readonly request: TaskRequest;
  abstract readonly signal: AbortSignal;
  /** The task this context runs: the one `replace` and `addToChord` act for. */
  protected abstract readonly contextTask: Task;
  abstract retry(options?: RetryOptions): never;
  abstract updateState(update: { state: string; meta?: unknown }): Promise<void>;

  async replace(sig: SignatureLike): Promise<never> {
    return requireCanvas(this.contextTask, 'replace').replace(this.contextTask, this, sig);
  }

  addToChord(sig: SignatureLike, options?: { lazy?: false }): Promise<AsyncResult<unknown>>;
  addToChord<S extends SignatureLike>(sig: S, options: { lazy: true }): Promise<S>;
  async addToChord(sig: SignatureLike, options: { lazy?: boolean } = {}): Promise<unknown> {
    return requireCanvas(this.contextTask, 'addToChord').addToChord(this.contextTask, this, sig, options.lazy === true);
  }
}

const storage = new AsyncLocalStorage<TaskContext>();

/** Runs `fn` with `context` as the current task. Used by the worker's tracer. */
export function runWithContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The task running in this async call tree, or undefined outside a task (Celery `current_task`). */
export function currentTask(): TaskContext | undefined {
  return storage.getStore();
}

/** The children recorded per request (Celery's `request.children`); kept out of the request, which crosses to pool children by structured clone. */
const trails = new WeakMap<TaskRequest, HasAsTuple[]>();

/**
 * The results of what the task of `request` sent while it ran (Celery `Context.children`): the live
 * list, which the worker stores with the task's result as meta `children`.
 */
export function taskChildren(request: TaskRequest): HasAsTuple[] {
  let list = trails.get(request);
  if (!list) trails.set(request, (list = []));
  return list;
}

const NO_CHILDREN: readonly HasAsTuple[] = Object.freeze([]);

/**
 * What the task of `request` sent so far (see {@link taskChildren}), without starting a list for a task
 * that sent nothing (the worker reads it for every stored result): a frozen empty list then.
 */
export function recordedChildren(request: TaskRequest): readonly HasAsTuple[] {
  return trails.get(request) ?? NO_CHILDREN;
}

/**
 * Records `result` as a child of the task running here, if any (Celery `Task.add_trail`, what
 * `send_task` does with `add_to_parent`). Returns `result`.
 */
export function addTrail<T extends HasAsTuple>(result: T): T {
  const running = currentTask();
  if (running) taskChildren(running.request).push(result);
  return result;
}
