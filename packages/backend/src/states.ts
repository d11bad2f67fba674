/**
 * Task state names and sets, as Celery defines them (`celery/states.py`). States are plain strings on
 * the wire; custom states such as `PROGRESS` are allowed and rank between FAILURE and REVOKED.
 */

export const PENDING = 'PENDING';
export const RECEIVED = 'RECEIVED';
export const STARTED = 'STARTED';
export const SUCCESS = 'SUCCESS';
export const FAILURE = 'FAILURE';
export const REVOKED = 'REVOKED';
export const REJECTED = 'REJECTED';
export const RETRY = 'RETRY';
export const IGNORED = 'IGNORED';

/** A built-in state name, or any custom state string. */
export type State =
  | typeof PENDING | typeof RECEIVED | typeof STARTED | typeof SUCCESS | typeof FAILURE
  | typeof REVOKED | typeof REJECTED | typeof RETRY | typeof IGNORED
  | (string & {});

/** States after which the result will not change: SUCCESS, FAILURE, REVOKED. */
export const READY_STATES: ReadonlySet<string> = new Set([SUCCESS, FAILURE, REVOKED]);
/** PENDING, RECEIVED, STARTED, REJECTED, RETRY. */
export const UNREADY_STATES: ReadonlySet<string> = new Set([PENDING, RECEIVED, STARTED, REJECTED, RETRY]);
/** States whose `result` is an exception dict: RETRY, FAILURE, REVOKED. */
export const EXCEPTION_STATES: ReadonlySet<string> = new Set([RETRY, FAILURE, REVOKED]);
/** States whose exception is re-raised by `AsyncResult.get()`: FAILURE, REVOKED. */
export const PROPAGATE_STATES: ReadonlySet<string> = new Set([FAILURE, REVOKED]);
/** Every built-in state. */
export const ALL_STATES: ReadonlySet<string> = new Set([
  PENDING, RECEIVED, STARTED, SUCCESS, FAILURE, RETRY, REVOKED, REJECTED, IGNORED,
]);

// Highest precedence first; `null` stands for any state not listed (custom states).
const PRECEDENCE: readonly (string | null)[] = [
  SUCCESS, FAILURE, null, REVOKED, STARTED, RECEIVED, REJECTED, RETRY, PENDING,
];
const UNKNOWN_PRECEDENCE = PRECEDENCE.indexOf(null);

/**
 * Celery's `states.precedence(state)`: the state's index in
 * SUCCESS, FAILURE, (unknown/custom), REVOKED, STARTED, RECEIVED, REJECTED, RETRY, PENDING.
 * A LOWER number means a HIGHER precedence (SUCCESS is 0, PENDING is 8, custom states are 2).
 */
export function precedence(state: string): number {
  const index = PRECEDENCE.indexOf(state);
  return index === -1 ? UNKNOWN_PRECEDENCE : index;
}

/** True when `a` outranks `b` (Celery's `state(a) > state(b)`). */
export function outranks(a: string, b: string): boolean {
  return precedence(a) < precedence(b);
}
