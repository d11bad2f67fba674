/**
 * The shape of the entry module a child loads (by absolute path or file URL, given as the pool's
 * `entry` option). TypeScript entries work when the child runs with a TypeScript loader such as tsx
 * (see the README).
 *
 * ```ts
 * // tasks-entry.ts
 * import type { JobHandler } from '@cq/billiard';
 * export async function onProcessInit(initArgs: { app: string }) {}   // Celery worker_process_init
 * export async function init(initArgs: { app: string }): Promise<JobHandler> {
 *   return async (payload, { signal, jobId, checkpoint }) => ({ echoed: payload });
 * }
 * export async function onProcessShutdown() {}                        // Celery worker_process_shutdown
 * ```
 */

/** What a running job sees besides its payload. */
export interface JobContext {
  /**
   * Aborted with a `SoftTimeLimitExceeded` reason when the job's soft time limit passes. A job sees it
   * where it awaits (pass it to fetch, `sleep(ms, signal)`...) and may catch it to clean up.
   */
  readonly signal: AbortSignal;
  /** The id given to `Pool.apply()` (or the pool's sequence number). */
  readonly jobId: string | number;
  /**
   * Throws `SoftTimeLimitExceeded` once the soft limit has passed, reading the clock itself, so it works
   * inside CPU-bound code that never yields to the event loop (where `signal` cannot fire). Cheap enough
   * to call every few thousand iterations.
   */
  checkpoint(): void;
}

/** Runs one job. The result crosses to the parent by structured clone; a throw rejects the job. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- default: a handler of any payload type is a JobHandler
export type JobHandler<P = any, R = unknown> = (payload: P, ctx: JobContext) => R | Promise<R>;

/** Exports of an entry module. */
export interface EntryModule {
  /** Called once per child after `onProcessInit`; resolves to the job handler. */
  init(initArgs: unknown): JobHandler | Promise<JobHandler>;
  /** Celery's `worker_process_init`: runs first in each new child. A throw fails the child's start. */
  onProcessInit?(initArgs: unknown): void | Promise<void>;
  /** Celery's `worker_process_shutdown`: runs when a child is stopped gracefully. */
  onProcessShutdown?(): void | Promise<void>;
}
