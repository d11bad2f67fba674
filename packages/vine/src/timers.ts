/** Timer helpers: an abortable `sleep` and `withTimeout`. All durations are in milliseconds. */

import { VineTimeoutError } from './errors.js';

/** Largest delay `setTimeout` accepts (about 24.8 days); longer waits are chained. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Run `fn` after `ms` milliseconds, chaining timers past the setTimeout limit. Returns a canceller. */
function schedule(ms: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (remaining: number): void => {
    const step = Math.min(remaining, MAX_DELAY_MS);
    timer = setTimeout(() => (remaining > step ? arm(remaining - step) : fn()), step);
  };
  if (ms !== Infinity) arm(Math.max(0, ms));
  return () => clearTimeout(timer);
}

/**
 * Resolve after `ms` milliseconds (`Infinity` = never, negative = next timer tick).
 * With `signal`, aborting rejects at once with `signal.reason` (a DOMException `AbortError` for a
 * plain `controller.abort()`), and an already-aborted signal rejects immediately.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = schedule(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settle like `promise`, unless `ms` milliseconds pass first. Then `onTimeout()` decides: its return
 * value (or promise) becomes the result and an error it throws the rejection. Without `onTimeout` the
 * result rejects with {@link VineTimeoutError}. The timer is cleared when `promise` settles first; the
 * wrapped promise itself is not cancelled. `ms = Infinity` means no timeout.
 */
export function withTimeout<T>(
  promise: PromiseLike<T>,
  ms: number,
  onTimeout?: () => T | PromiseLike<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const cancel = schedule(ms, () => {
      if (done) return;
      done = true;
      if (!onTimeout) {
        reject(new VineTimeoutError(ms));
        return;
      }
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    });
    const settle = (fn: () => void): void => {
      if (done) return;
      done = true;
      cancel();
      fn();
    };
    try {
      promise.then(
        (value) => settle(() => resolve(value)),
        (reason) => settle(() => reject(reason)),
      );
    } catch (error) {
      settle(() => reject(error));
    }
  });
}
