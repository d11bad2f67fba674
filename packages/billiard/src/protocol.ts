/**
 * Messages between the pool (parent) and a child. Both sides always send arrays of messages, so
 * everything produced in one turn of the event loop crosses as one IPC message (batching).
 */

import type { SerializedError } from './remote-error.js';

/** Parent → child. */
export type ToChild =
  /** First message: what to load. `maxMemory` in KiB (0 = no limit). */
  | { t: 'init'; entry: string; initArgs: unknown; maxMemory: number }
  /** A job: `i` sequence number, `j` caller's job id, `p` payload, `s` soft time limit in ms. */
  | { t: 'job'; i: number; j: string | number; p: unknown; s?: number }
  /** Drop job `i` if it has not started (`terminateJob` of a prefetched job); ignored otherwise. */
  | { t: 'cancel'; i: number }
  /** Give job `i` back if it has not started (the pool moves it to an idle child): answered by `yielded`. */
  | { t: 'yield'; i: number }
  /** Exit once every job received before this message has finished. */
  | { t: 'stop' };

/** Child → parent. */
export type ToParent =
  | { t: 'ready' }
  | { t: 'init-error'; e: SerializedError }
  | { t: 'start'; i: number }
  /** `r`: how long the job ran in the child, ms. */
  | { t: 'ok'; i: number; v: unknown; r: number }
  | { t: 'err'; i: number; e: SerializedError; r: number }
  /** Job `i` was given back unstarted (answer to `yield`); a job already begun gets no answer. */
  | { t: 'yielded'; i: number }
  /** Over `maxMemory`: the child starts nothing more; jobs not yet started go back to the pool. */
  | { t: 'retire' };
