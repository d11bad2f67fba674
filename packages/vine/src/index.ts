/**
 * @cq/vine — promise primitives for cq, after celery/vine: a synchronous-callback `Thenable`,
 * a `Barrier` joining many of them, and small helpers (`deferred`, `sleep`, `withTimeout`).
 */

export { Thenable, isThenable } from './thenable.js';
export { Barrier } from './barrier.js';
export type { BarrierOptions } from './barrier.js';
export { deferred } from './deferred.js';
export type { Deferred } from './deferred.js';
export { sleep, withTimeout } from './timers.js';
export { VineError, BarrierError, VineTimeoutError } from './errors.js';
export type { VineErrorOptions } from './errors.js';
