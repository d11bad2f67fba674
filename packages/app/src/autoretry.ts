/**
 * Automatic retries (Celery `celery/app/autoretry.py`) and exponential backoff (Celery
 * `celery/utils/time.py` `get_exponential_backoff_interval`).
 *
 * A task with `autoretryFor` is retried when it throws a matching error, unless the error also
 * matches `dontAutoretryFor` or is a control-flow signal (Retry, Ignore, Reject). With
 * `retryBackoff`, the countdown grows as `factor × 2^retries` seconds, capped at `retryBackoffMax`
 * (600 s), and with `retryJitter` (default true) is drawn uniformly from `0..countdown` (whole seconds).
 */
import { TaskSignal } from './errors.js';
import type { RetryOptions } from './errors.js';
import type { ErrorMatcher, TaskOptions } from './task.js';

/** A random source returning a float in [0, 1), like `Math.random` (injectable for tests). */
export type RandomSource = () => number;

/**
 * Seconds to wait before retry number `retries + 1`: `min(maximum, factor × 2^retries)`, then with
 * `fullJitter` a whole number drawn from `0..countdown` (Python `random.randrange(countdown + 1)`),
 * never below 0 nor above `maximum`.
 */
export function exponentialBackoff(factor: number, retries: number, maximum: number, fullJitter = false, random: RandomSource = Math.random): number {
  let countdown = Math.min(maximum, factor * 2 ** retries);
  if (fullJitter) countdown = Math.floor(random() * (Math.floor(countdown) + 1));
  return Math.max(0, Math.min(maximum, countdown));
}

/** True when `err` matches one entry: a class (`instanceof`) or a name compared with `err.name` (errors from elsewhere). */
export function errorMatches(err: unknown, matchers: readonly ErrorMatcher[] | undefined): boolean {
  if (!matchers || matchers.length === 0) return false;
  const name = err instanceof Error ? err.name : typeof err === 'object' && err !== null ? String((err as { name?: unknown }).name ?? '') : '';
  return matchers.some((m) => (typeof m === 'string' ? m === name : err instanceof m));
}

/**
 * The retry a task's `autoretryFor` asks for after `err`, or null to let the error fail the task.
 * `retries` is the request's retry count so far. The options are `retryKwargs` plus the backoff
 * countdown and `exc: err`.
 */
export function autoretryFor(options: TaskOptions, err: unknown, retries: number, random: RandomSource = Math.random): RetryOptions | null {
  if (err instanceof TaskSignal) return null;
  if (errorMatches(err, options.dontAutoretryFor)) return null;
  if (!errorMatches(err, options.autoretryFor)) return null;
  const retry: RetryOptions = { ...options.retryKwargs, exc: err };
  const backoff = options.retryBackoff === true ? 1 : Number(options.retryBackoff ?? 0);
  if (backoff) {
    retry.countdown = exponentialBackoff(Math.trunc(Math.max(1, backoff)), retries, Math.trunc(options.retryBackoffMax ?? 600), options.retryJitter ?? true, random);
  }
  return retry;
}
