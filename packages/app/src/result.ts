/**
 * AsyncResult: a handle on a task's state and result in the result backend (Celery `celery/result.py`).
 * Reading is I/O, so the accessors are async: `await r.state()`, `await r.get({ timeout: 10 })`.
 * Beyond reading: `revoke()` (through the app's remote control), `forget()`, the result graph
 * (`parent`, `children()`, `collect()`).
 */
import { PROPAGATE_STATES, READY_STATES, errorFromExceptionInfo, type ResultTuple, type TaskMeta } from '@cq/backend';
import { CanvasUnavailableError, ImproperlyConfigured, IncompleteStream, TimeoutError } from './errors.js';

/** What AsyncResult needs from a result backend. */
export interface ResultBackend {
  getTaskMeta(taskId: string): Promise<TaskMeta>;
  /** @cq/backend `Backend.waitFor`: `timeout` and `interval` in seconds (Celery `wait_for`). */
  waitFor(taskId: string, options?: { timeout?: number; interval?: number; signal?: AbortSignal }): Promise<TaskMeta>;
  forget(taskId: string): Promise<void>;
}

export interface GetOptions {
  /** Seconds to wait (as Celery's `get(timeout=...)`). Default: wait forever. */
  timeout?: number;
  /** Throw the task's error when it failed. Default true (Celery `propagate`). */
  propagate?: boolean;
  /** Polling interval in **seconds** for backends that poll. Default 0.5 (as Celery). */
  interval?: number;
  signal?: AbortSignal;
  /**
   * While waiting, also throw the error of a failed parent (`parent`, its parent, ...; oldest
   * first), checked at once and every `interval` (Celery `follow_parents`). Default true; only with `propagate`.
   */
  followParents?: boolean;
}

/** Options of `revoke()` (Celery `AsyncResult.revoke`). */
export interface RevokeOptions {
  /** Also stop the task if it is running (Celery `terminate`). Default false. */
  terminate?: boolean;
  /** Signal sent with `terminate`, e.g. `'SIGKILL'`. Default `'SIGTERM'`. */
  signal?: string;
  /** Wait for the workers' replies (Celery `wait`, sent as `reply`). Default false. */
  wait?: boolean;
  /** With `wait`, seconds to wait for replies. Default 1 (the control default). */
  timeout?: number;
}

/** Remote control as results need it (Celery `app.control.revoke`); what the control plugin of @cq/control sets as `app.control`. */
export interface RevokeControl {
  revoke(taskId: string | string[], options?: { terminate?: boolean; signal?: string; reply?: boolean; timeout?: number }): Promise<unknown>;
  /** Closes its connection; `app.close()` calls it. */
  close?(): Promise<void>;
}

/** A node of a result graph (Celery `ResultBase`): an AsyncResult, or a GroupResult of @cq/canvas. */
export interface ResultNode {
  readonly id: string;
  ready(): Promise<boolean>;
  get(options?: GetOptions): Promise<unknown>;
  children(): Promise<ResultNode[] | null>;
  asTuple(): ResultTuple;
}

/** What an AsyncResult reaches through its app: remote control, more results, the canvas's GroupResult. */
export interface ResultApp {
  readonly control?: RevokeControl | null;
  asyncResult<R = unknown>(id: string): AsyncResult<R>;
  /** The canvas plugin; its `groupResult` builds a GroupResult for a group child. */
  readonly canvas?: { groupResult?(app: ResultApp, id: string, results: ResultNode[]): ResultNode } | null;
}

export class AsyncResult<R = unknown> {
  /**
   * The result this one follows in a chain (Celery `AsyncResult.parent`): set on the results of a
   * chain (`chain(a, b).applyAsync()` resolves with b's, whose parent is a's) and by `children()`.
   */
  parent: AsyncResult | null = null;

  /**
   * @param backendRef the result backend, or null when results are disabled (methods then throw ImproperlyConfigured).
   * @param app what `revoke()` and `children()` need; `app.asyncResult()` passes itself.
   */
  constructor(
    readonly id: string,
    private readonly backendRef: () => Promise<ResultBackend | null>,
    private readonly app: ResultApp | null = null,
  ) {}

  private async backend(): Promise<ResultBackend> {
    const backend = await this.backendRef();
    if (!backend) {
      throw new ImproperlyConfigured('no result backend is configured: set `result_backend` (e.g. sqlite:///.cq/results.db or redis://localhost:6379/0), or pass --result-backend');
    }
    return backend;
  }

  /** The stored meta: status, result, traceback, children, date_done, ... (PENDING when unknown). */
  async meta(): Promise<TaskMeta> {
    return (await this.backend()).getTaskMeta(this.id);
  }

  /** Current state name: PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED or a custom one. */
  async state(): Promise<string> {
    return (await this.meta()).status;
  }

  /** True when the task reached SUCCESS, FAILURE or REVOKED. */
  async ready(): Promise<boolean> {
    return READY_STATES.has(await this.state());
  }

  async successful(): Promise<boolean> {
    return (await this.state()) === 'SUCCESS';
  }

  async failed(): Promise<boolean> {
    return (await this.state()) === 'FAILURE';
  }

  /** The return value, or the error for FAILURE/REVOKED (not thrown), or undefined while pending. */
  async result(): Promise<R | Error | undefined> {
    const meta = await this.meta();
    if (meta.status === 'PENDING') return undefined;
    if (PROPAGATE_STATES.has(meta.status) || meta.status === 'RETRY') return errorFromExceptionInfo(meta.result);
    return meta.result as R;
  }

  /**
   * Celery's `AsyncResult.info`: the meta of a custom state (`ctx.updateState({ state: 'PROGRESS',
   * meta: { done: 3 } })` → `{ done: 3 }`), `{ pid, hostname }` while STARTED, the error of a
   * FAILURE/RETRY/REVOKED, the value of a SUCCESS, undefined while PENDING.
   */
  async info(): Promise<unknown> {
    return this.result();
  }

  /** The remote traceback text of a failed task, or null. */
  async traceback(): Promise<string | null> {
    return (await this.meta()).traceback ?? null;
  }

  /**
   * Waits for the task to be ready and returns its result (Celery `AsyncResult.get`).
   * Throws {@link TimeoutError} after `timeout` seconds; throws the task's error (a `RemoteTaskError`
   * whose `name` is the remote exception type) when it failed and `propagate` is true.
   */
  async get(options: GetOptions = {}): Promise<R> {
    const { timeout, propagate = true, interval = 0.5, signal, followParents = true } = options;
    const backend = await this.backend();
    const waitOptions = { ...(timeout === undefined ? {} : { timeout }), interval };
    let meta: TaskMeta;
    try {
      meta = propagate && followParents && this.parent !== null
        ? await this.waitWatchingParents(backend, waitOptions, signal)
        : await backend.waitFor(this.id, signal ? { ...waitOptions, signal } : waitOptions); // the round-trip path: no controller of our own
    } catch (err) {
      if ((err as { code?: string }).code === 'CQ_BACKEND_TIMEOUT') {
        throw new TimeoutError(`the operation timed out waiting ${timeout} s for task ${this.id}`, { cause: err });
      }
      throw err;
    }
    if (propagate && PROPAGATE_STATES.has(meta.status)) throw errorFromExceptionInfo(meta.result);
    return meta.result as R;
  }

  /** Waits for this task while checking its parents every `interval` s: a failed parent's error wins (Celery `_maybe_reraise_parent_error`). */
  private async waitWatchingParents(backend: ResultBackend, waitOptions: { timeout?: number; interval: number }, signal: AbortSignal | undefined): Promise<TaskMeta> {
    await this.throwParentFailure();
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const waiting = backend.waitFor(this.id, { ...waitOptions, signal: stop.signal });
      waiting.catch(() => undefined); // aborted below when a parent's error wins the race
      return await Promise.race([waiting, this.watchParents(waitOptions.interval, stop.signal)]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  /** Throws the error of the oldest failed (or revoked) ancestor, if any (Celery `_maybe_reraise_parent_error`). */
  private async throwParentFailure(): Promise<void> {
    const ancestors: AsyncResult[] = [];
    for (let node = this.parent; node; node = node.parent) ancestors.unshift(node);
    for (const node of ancestors) {
      const meta = await node.meta();
      if (PROPAGATE_STATES.has(meta.status)) throw errorFromExceptionInfo(meta.result, meta.traceback ?? null);
    }
  }

  /** Checks the parents every `interval` s until `signal` fires; rejects with a failed parent's error. */
  private async watchParents(interval: number, signal: AbortSignal): Promise<never> {
    for (;;) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, interval * 1000);
        signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
      if (signal.aborted) return new Promise<never>(() => undefined);
      await this.throwParentFailure();
    }
  }

  /**
   * Removes the stored result, and first its parents' (Celery `forget`). The backend's forget: the
   * key is deleted (Redis, SQLite, ...); rpc:// keeps nothing to forget.
   */
  async forget(): Promise<void> {
    if (this.parent) await this.parent.forget();
    return (await this.backend()).forget(this.id);
  }

  /**
   * Asks the workers not to run this task, and with `terminate` to stop it if it runs (Celery
   * `AsyncResult.revoke`): a `revoke` broadcast through the app's remote control. A worker that gets
   * it stores REVOKED when the task would run (or is stopped).
   * @throws ImproperlyConfigured without remote control (the control plugin of @cq/control, part of @cq/celery).
   */
  async revoke(options: RevokeOptions = {}): Promise<void> {
    const control = this.app?.control;
    if (!control) throw new ImproperlyConfigured('revoke() needs remote control: pass control() from @cq/control in the app\'s plugins, or build the app with @cq/celery');
    await control.revoke(this.id, {
      terminate: options.terminate ?? false,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      reply: options.wait ?? false,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
  }

  /**
   * The results of what the task sent while it ran, as its worker stored them (Celery `children`):
   * AsyncResults, and GroupResults for groups (needs the canvas plugin); [] when it sent nothing
   * or has not finished, null when the backend keeps no children.
   * @throws CanvasUnavailableError for a group child without the canvas plugin.
   */
  async children(): Promise<ResultNode[] | null> {
    const list = (await this.meta()).children as ResultTuple[] | null | undefined;
    return Array.isArray(list) ? list.map((tuple) => this.fromTuple(tuple)) : null;
  }

  /** A result from Celery's tuple form `[[id, parent], nodes]` (Celery `result_from_tuple`). */
  private fromTuple(tuple: ResultTuple): ResultNode {
    const [head, nodes] = tuple as [unknown, ResultTuple[] | null];
    // Celery accepts a bare id where `[id, parent]` is expected.
    const [id, parentTuple] = Array.isArray(head) ? head as [string, ResultTuple | null] : [String(head), null];
    const app = this.app;
    const make = (childId: string): AsyncResult => (app ? app.asyncResult(childId) : new AsyncResult(childId, this.backendRef));
    if (Array.isArray(nodes)) {
      const canvas = app?.canvas;
      if (!app || !canvas?.groupResult) throw new CanvasUnavailableError(`result ${this.id} has a group child ${id}: reading it needs the canvas plugin (canvas() from @cq/canvas)`);
      return canvas.groupResult(app, id, nodes.map((n) => this.fromTuple(n)));
    }
    const child = make(id);
    if (parentTuple) child.parent = this.fromTuple(parentTuple) as AsyncResult;
    return child;
  }

  /**
   * Walks the result graph breadth first from this result, yielding each node with its value
   * (Celery `collect`): a node's children are followed once it is ready. `options` go to each `get()`.
   * @throws IncompleteStream when a node is not ready and `intermediate` is false (the default).
   */
  async *collect(options: GetOptions & { intermediate?: boolean } = {}): AsyncGenerator<[ResultNode, unknown]> {
    const { intermediate = false, ...getOptions } = options;
    const pending: ResultNode[] = [this];
    for (let node = pending.shift(); node; node = pending.shift()) {
      yield [node, await node.get(getOptions)];
      if (await node.ready()) pending.push(...(await node.children()) ?? []);
      else if (!intermediate) throw new IncompleteStream(`${node.id} is not ready: collect() needs the graph complete, or { intermediate: true }`);
    }
  }

  /** Celery's `as_tuple()`: `[[id, parent tuple or null], null]`, how a backend stores a child. */
  asTuple(): ResultTuple {
    return [[this.id, this.parent ? this.parent.asTuple() : null], null];
  }

  toString(): string {
    return this.id;
  }
}
