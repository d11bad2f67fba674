/**
 * The request context of a running task (Celery `Task.request`, `celery/app/task.py` `Context`) and
 * the task context handed to bound tasks. `currentTask()` gives the same from anywhere inside the
 * task's async call tree (Celery `current_task`), through AsyncLocalStorage.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DeliveryInfo } from '@cq/kombu';
import type { RetryOptions } from './errors.js';
import type { TaskEmbed } from './protocol/types.js';

/** What the worker knows about the message being run. Field names follow Celery's Context in camelCase. */
export interface TaskRequest {
  id: string;
  /** Task name as sent. */
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Times this task was retried so far. */
  retries: number;
  eta: Date | null;
  expires: Date | null;
  /** Node name of the worker running it, e.g. `celery@host`. */
  hostname: string;
  deliveryInfo: DeliveryInfo;
  replyTo: string | null;
  correlationId: string | null;
  parentId: string | null;
  rootId: string | null;
  group: string | null;
  groupIndex: number | null;
  /** Producer's node name (`origin` header). */
  origin: string | null;
  /** `[hard, soft]` in seconds, as in the message. */
  timeLimit: [number | null, number | null];
  ignoreResult: boolean;
  /** Every header as received, including custom ones. */
  headers: Record<string, unknown>;
  embed: TaskEmbed;
  isEager: boolean;
}

/** The first argument of a task registered with `{ bind: true }` (Celery's `self`). */
export interface TaskContext {
  readonly name: string;
  readonly request: TaskRequest;
  /** Fires when the task should stop (soft time limit, revoke, cold shutdown). */
  readonly signal: AbortSignal;
  /** Throws the Retry signal; the worker re-sends the task (Celery `self.retry()`). */
  retry(options?: RetryOptions): never;
  /** Stores a custom state such as `PROGRESS` with its meta (Celery `update_state`). */
  updateState(update: { state: string; meta?: unknown }): Promise<void>;
}

const storage = new AsyncLocalStorage<TaskContext>();

/** Runs `fn` with `context` as the current task. Used by the worker's tracer. */
export function runWithContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The task running in this async call tree, or undefined outside a task (Celery `current_task`). */
export function currentTask(): TaskContext | undefined {
  return storage.getStore();
}
