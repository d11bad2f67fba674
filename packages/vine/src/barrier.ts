/**
 * `Barrier` — vine's `barrier`: waits for a growing set of thenables and settles once all of them have
 * fulfilled and the set is closed with `finalize()`. Unlike vine (which only counts calls) it collects
 * the values, in the order they were added, like `Promise.all`.
 */

import { BarrierError } from './errors.js';
import { Thenable, isThenable } from './thenable.js';

/** Options for `new Barrier()`. */
export interface BarrierOptions<T> {
  /** Called with the values (in add order) when the barrier fulfils; vine's `callback` argument. */
  callback?: (values: T[]) => unknown;
}

/**
 * A join point for many promises or thenables (vine `barrier`).
 *
 * - `new Barrier([a, b])` adds both and is finalized at once: it fulfils when both have.
 * - `new Barrier()` then `add(x)`… and `finalize()` for a set built over time.
 * - It rejects with the first failure; later outcomes are ignored.
 * - Plain (non-thenable) values count as already fulfilled.
 *
 * Awaitable: `const values = await barrier`.
 */
export class Barrier<T = unknown> implements PromiseLike<T[]> {
  readonly #p = new Thenable<T[]>();
  readonly #values: T[] = [];
  #size = 0;
  #done = 0;
  #finalized = false;

  /**
   * @param promises - when given (even empty), they are added and the barrier is finalized
   *   (vine finalizes only for a non-empty list; an explicit empty list here fulfils with `[]`).
   * @param options - see {@link BarrierOptions}.
   */
  constructor(promises?: Iterable<T | PromiseLike<T>>, options: BarrierOptions<T> = {}) {
    if (options.callback) this.#p.then(options.callback);
    if (promises !== undefined) {
      for (const p of promises) this.add(p);
      this.finalize();
    }
  }

  /** Number of promises added so far. */
  get size(): number {
    return this.#size;
  }

  /** True once the barrier fulfilled or rejected. */
  get ready(): boolean {
    return this.#p.ready;
  }

  /** True once the barrier rejected. */
  get failed(): boolean {
    return this.#p.failed;
  }

  /** True after `finalize()` (or construction with a list). */
  get finalized(): boolean {
    return this.#finalized;
  }

  /** True after `cancel()`. */
  get cancelled(): boolean {
    return this.#p.cancelled;
  }

  /** The collected values once fulfilled, else `undefined`. */
  get value(): T[] | undefined {
    return this.#p.value;
  }

  /** The first failure once rejected, else `undefined`. */
  get reason(): unknown {
    return this.#p.reason;
  }

  /**
   * Add a promise, thenable or plain value. Allowed after `finalize()` while the barrier is still
   * waiting (as in vine); ignored once cancelled.
   * @throws BarrierError when the barrier has already fulfilled or rejected.
   */
  add(p: T | PromiseLike<T>): void {
    if (this.#p.cancelled) return;
    if (this.#p.ready) throw new BarrierError('cannot add to a barrier that has already settled');
    const index = this.#size++;
    if (!isThenable(p)) {
      this.#fulfilled(index, p);
      return;
    }
    p.then(
      (value) => this.#fulfilled(index, value),
      (reason) => this.#p.reject(reason),
    );
  }

  /** Close the set: the barrier fulfils as soon as every added promise has (immediately if they have). */
  finalize(): void {
    if (this.#finalized) return;
    this.#finalized = true;
    this.#check();
  }

  /** Reject the barrier now with `reason` (vine `throw`). Ignored once settled or cancelled. */
  reject(reason: unknown): void {
    this.#p.reject(reason);
  }

  /** Cancel: callbacks never run and outcomes of added promises are ignored. */
  cancel(): void {
    this.#p.cancel();
  }

  /** Register callbacks, as {@link Thenable.then}. */
  then<R1 = T[], R2 = never>(
    onFulfilled?: ((values: T[]) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Thenable<R1 | R2> {
    return this.#p.then(onFulfilled, onRejected);
  }

  #fulfilled(index: number, value: T): void {
    if (this.#p.ready || this.#p.cancelled) return;
    this.#values[index] = value;
    this.#done++;
    this.#check();
  }

  #check(): void {
    if (this.#finalized && this.#done === this.#size) this.#p.resolve(this.#values.slice());
  }
}
