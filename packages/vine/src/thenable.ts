/**
 * `Thenable` — vine's `promise`: a callback holder that settles once and runs its callbacks
 * synchronously, in registration order, at the moment it settles.
 *
 * Differences from a native `Promise` (on purpose, as in vine):
 * - callbacks run synchronously inside `resolve()`/`reject()`, and immediately inside `then()` when
 *   already settled (native promises defer to a microtask);
 * - it can be cancelled: pending callbacks are dropped and later settles are ignored;
 * - it can wrap a function: `resolve(arg)` calls it and fulfils with its result.
 * It still implements `PromiseLike<T>`, so `await` and `Promise.all` accept it.
 */

type OnFulfilled<T, R> = ((value: T) => R | PromiseLike<R>) | null | undefined;
type OnRejected<R> = ((reason: unknown) => R | PromiseLike<R>) | null | undefined;

interface Pending<T> {
  onFulfilled: OnFulfilled<T, unknown>;
  onRejected: OnRejected<unknown>;
  child: Thenable<unknown>;
}

type State = 'pending' | 'adopting' | 'fulfilled' | 'rejected';

/** True for any object or function with a callable `then` (the Promises/A+ test). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * A settle-once value with synchronous callbacks (vine `promise`).
 *
 * @typeParam T - the fulfilment value.
 * @typeParam A - what `resolve()` takes; equals `T` unless a function is wrapped.
 *
 * ```ts
 * const p = new Thenable((n: number) => n * 2);
 * p.then((v) => console.log(v)); // runs inside resolve()
 * p.resolve(21);                 // logs 42; p.value === 42
 * ```
 */
export class Thenable<T = unknown, A = T> implements PromiseLike<T> {
  readonly #fn: ((arg: A) => T | PromiseLike<T>) | undefined;
  #state: State = 'pending';
  #value: T | undefined;
  #reason: unknown;
  #cancelled = false;
  #queue: Pending<T>[] = [];
  #flushing = false;

  /**
   * @param fn - optional function called by `resolve(arg)`; its return value (or, when it returns a
   *   thenable, that thenable's outcome) fulfils this Thenable, and if it throws the Thenable rejects.
   */
  constructor(fn?: (arg: A) => T | PromiseLike<T>) {
    this.#fn = fn;
  }

  /** True once fulfilled or rejected (vine `ready`). */
  get ready(): boolean {
    return this.#state === 'fulfilled' || this.#state === 'rejected';
  }

  /** True once rejected (vine `failed`). */
  get failed(): boolean {
    return this.#state === 'rejected';
  }

  /** True after `cancel()`. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** The fulfilment value; `undefined` until fulfilled. */
  get value(): T | undefined {
    return this.#value;
  }

  /** The rejection reason; `undefined` unless rejected. */
  get reason(): unknown {
    return this.#reason;
  }

  /**
   * Fulfil with `arg` (or with the wrapped function's result for `arg`). A thenable result is adopted:
   * this settles when it does. Ignored when already settled, adopting, or cancelled.
   */
  resolve(arg: A): void {
    if (this.#state !== 'pending' || this.#cancelled) return;
    let result: unknown = arg;
    if (this.#fn) {
      try {
        result = this.#fn(arg);
      } catch (error) {
        this.#settle('rejected', error);
        return;
      }
    }
    if (isThenable(result)) {
      this.#state = 'adopting';
      try {
        result.then(
          (value) => this.#settle('fulfilled', value),
          (reason) => this.#settle('rejected', reason),
        );
      } catch (error) {
        this.#settle('rejected', error);
      }
      return;
    }
    this.#settle('fulfilled', result);
  }

  /** Reject with `reason` (vine `throw`). Ignored when already settled, adopting, or cancelled. */
  reject(reason: unknown): void {
    if (this.#state !== 'pending' || this.#cancelled) return;
    this.#settle('rejected', reason);
  }

  /**
   * Register callbacks. They run synchronously when this settles, in registration order, or
   * immediately when it already has. Returns a new Thenable for the callback's result, like
   * `Promise.then`: a callback that throws rejects it; a missing callback passes the outcome through.
   * On a cancelled Thenable the callbacks never run and the returned Thenable is cancelled too.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: OnFulfilled<T, R1>,
    onRejected?: OnRejected<R2>,
  ): Thenable<R1 | R2> {
    const child = new Thenable<R1 | R2>();
    if (this.#cancelled) {
      child.cancel();
      return child;
    }
    this.#queue.push({ onFulfilled, onRejected, child } as Pending<T>);
    if (this.ready && !this.#flushing) this.#flush();
    return child;
  }

  /** Register a rejection callback only; same as `then(undefined, onRejected)`. */
  catch<R = never>(onRejected: OnRejected<R>): Thenable<T | R> {
    return this.then<T, R>(undefined, onRejected);
  }

  /**
   * Cancel (vine `cancel`): pending callbacks are dropped and the Thenables returned by their `then()`
   * are cancelled as well; later `resolve`/`reject` calls are ignored. A cancelled Thenable never
   * settles, so do not `await` one you may cancel.
   */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    const dropped = this.#queue;
    this.#queue = [];
    for (const entry of dropped) entry.child.cancel();
  }

  #settle(state: 'fulfilled' | 'rejected', outcome: unknown): void {
    if (this.ready || this.#cancelled) return;
    this.#state = state;
    if (state === 'fulfilled') this.#value = outcome as T;
    else this.#reason = outcome;
    this.#flush();
  }

  /** Run queued callbacks in order; callbacks registered during the run are appended and run too. */
  #flush(): void {
    this.#flushing = true;
    try {
      let entry: Pending<T> | undefined;
      while (!this.#cancelled && (entry = this.#queue.shift()) !== undefined) this.#run(entry);
    } finally {
      this.#flushing = false;
    }
  }

  #run({ onFulfilled, onRejected, child }: Pending<T>): void {
    const fulfilled = this.#state === 'fulfilled';
    const handler = fulfilled ? onFulfilled : onRejected;
    if (typeof handler !== 'function') {
      if (fulfilled) child.resolve(this.#value);
      else child.reject(this.#reason);
      return;
    }
    let result: unknown;
    try {
      result = (handler as (outcome: unknown) => unknown)(fulfilled ? this.#value : this.#reason);
    } catch (error) {
      child.reject(error);
      return;
    }
    child.resolve(result);
  }
}
