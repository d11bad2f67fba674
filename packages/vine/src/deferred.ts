/** `deferred()` — a native Promise together with its resolve and reject functions. */

/** A native promise with its settle functions exposed (like ES2024 `Promise.withResolvers()`). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

/**
 * Create a {@link Deferred}. Unlike {@link Thenable}, its callbacks run asynchronously, as with any
 * native promise. Settling twice is a no-op.
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: Deferred<T>['resolve'];
  let reject!: Deferred<T>['reject'];
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
