/**
 * Signals (Celery `celery/signals.py`, docs "Signals"): typed events the app and the worker send at
 * fixed points, so code can hook in without subclassing. Names are Celery's, verbatim; each receiver
 * gets one object with Celery's arguments in camelCase (`task_id` → `taskId`, `routing_key` →
 * `routingKey`) plus `sender` and `signal`.
 *
 * ```ts
 * import { task_prerun, task_failure } from '@cq/app';
 * task_prerun.connect(({ taskId, task }) => console.log(`starting ${task.name}[${taskId}]`));
 * task_failure.connect(({ exception }) => report(exception), { sender: add });  // only for task `add`
 * ```
 *
 * Like Celery's `Signal.send` (django dispatch's `send_robust`), `send` calls every receiver even when
 * one throws: the error is reported through {@link Signal.reportError} and returned in its response,
 * never thrown at the caller. A receiver may return a promise; `send` does not wait for it (its
 * rejection is reported), `sendAsync` does.
 */
import type { Message, Queue } from '@cq/kombu';
import type { Celery } from './app.js';
import type { TaskRequest } from './context.js';
import type { TaskRequestFields } from './protocol/types.js';
import type { Task } from './task.js';

/** What a receiver is called with: the signal's arguments, its sender and the signal itself. */
export type SignalEvent<A extends object, S> = A & { sender: S; signal: Signal<A, S> };
export type Receiver<A extends object, S> = (event: SignalEvent<A, S>) => unknown;

export interface ConnectOptions<S> {
  /** Only called when the sender is this object (compared with `===`), as Celery's `sender=`. */
  sender?: S;
  /** Identifies the connection instead of the receiver: connecting the same uid twice is a no-op. */
  dispatchUid?: string;
}

/** One receiver's outcome (Celery returns `(receiver, response)` pairs, the error in place of a response). */
export interface SignalResponse<A extends object, S> {
  receiver: Receiver<A, S>;
  result?: unknown;
  error?: unknown;
}

interface Connection<A extends object, S> {
  key: unknown;
  receiver: Receiver<A, S>;
  hasSender: boolean;
  sender: S | undefined;
}

const NO_SENDER = Symbol('no sender');

export class Signal<A extends object = Record<never, never>, S = unknown> {
  /**
   * Called when a receiver throws or its promise rejects. Default: one line on stderr, as Celery
   * logs `Signal handler <receiver> raised: <error>`. Replace it to route these to your logger.
   */
  static reportError: (signal: Signal<never, never>, receiver: (...args: never[]) => unknown, error: unknown) => void = (signal, receiver, error) => {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`Signal handler ${receiver.name || '<anonymous>'} of ${signal.name} raised: ${what}\n`);
  };

  /** Replaced, never changed in place, so `send` can iterate it while receivers (dis)connect. */
  private connections: ReadonlyArray<Connection<A, S>> = [];

  /** @param name the Celery signal name, e.g. `task_prerun`. */
  constructor(readonly name: string) {}

  /**
   * Connects a receiver; returns a function that disconnects it. Connecting the same receiver (or
   * `dispatchUid`) for the same sender again changes nothing.
   */
  connect(receiver: Receiver<A, S>, options: ConnectOptions<S> = {}): () => void {
    const hasSender = Object.hasOwn(options, 'sender');
    const key = options.dispatchUid ?? receiver;
    const senderKey = hasSender ? options.sender : NO_SENDER;
    const exists = this.connections.some((c) => c.key === key && (c.hasSender ? c.sender : NO_SENDER) === senderKey);
    if (!exists) this.connections = [...this.connections, { key, receiver, hasSender, sender: options.sender }];
    return () => void this.disconnect(receiver, options);
  }

  /** Disconnects a receiver (or the `dispatchUid`) for the given sender; true when one was connected. */
  disconnect(receiver: Receiver<A, S> | null, options: ConnectOptions<S> = {}): boolean {
    const hasSender = Object.hasOwn(options, 'sender');
    const key = options.dispatchUid ?? receiver;
    const before = this.connections.length;
    this.connections = this.connections.filter((c) => !(c.key === key && c.hasSender === hasSender && (!hasSender || c.sender === options.sender)));
    return this.connections.length < before;
  }

  /** Receivers connected now, for any sender. */
  get receivers(): number {
    return this.connections.length;
  }

  /** Calls the receivers for `sender` in connection order; never throws (see the module doc). */
  send(sender: S, args: A): Array<SignalResponse<A, S>> {
    if (this.connections.length === 0) return [];
    const event = { ...args, sender, signal: this } as SignalEvent<A, S>;
    const responses: Array<SignalResponse<A, S>> = [];
    for (const c of this.connections) {
      if (c.hasSender && c.sender !== sender) continue;
      try {
        const result = c.receiver(event);
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
          Promise.resolve(result).catch((error: unknown) => this.report(c.receiver, error));
        }
        responses.push({ receiver: c.receiver, result });
      } catch (error) {
        this.report(c.receiver, error);
        responses.push({ receiver: c.receiver, error });
      }
    }
    return responses;
  }

  /** As {@link send}, then waits for receivers that returned promises; never rejects. */
  async sendAsync(sender: S, args: A): Promise<Array<SignalResponse<A, S>>> {
    const responses = this.send(sender, args);
    return Promise.all(responses.map(async (r) => {
      if ('error' in r) return r;
      try {
        return { receiver: r.receiver, result: await r.result };
      } catch (error) {
        return { receiver: r.receiver, error };
      }
    }));
  }

  private report(receiver: (...args: never[]) => unknown, error: unknown): void {
    try {
      Signal.reportError(this as unknown as Signal<never, never>, receiver, error);
    } catch {
      // a failing reporter must not break the sender either
    }
  }
}

/** An error with its stack, as task_failure and task_retry give it (Celery/billiard `ExceptionInfo`). */
export interface ExceptionInfo {
  /** The error's class name, e.g. `ValueError`. */
  type: string;
  exception: Error;
  traceback: string | null;
}

type AnyTask = Task<never[], unknown>;
type Kwargs = Record<string, unknown>;

// ---- publish (sent in the process that sends the task; sender: the task name) ----

/**
 * Before a task message is published. `headers`, `properties` and `declare` are the objects about to
 * be sent: changing them changes the message. Sender: the task name. `app` (cq's addition: a Python
 * process has one app) is the app sending it, so a plugin can keep to its own app.
 */
export const before_task_publish = new Signal<{
  body: unknown; exchange: string; routingKey: string; headers: Kwargs; properties: Kwargs;
  declare: Queue[]; retryPolicy: Kwargs | null; app: Celery;
}, string>('before_task_publish');

/** After the broker accepted a task message. Sender: the task name; `app` as in before_task_publish. */
export const after_task_publish = new Signal<{ headers: Kwargs; body: unknown; exchange: string; routingKey: string; app: Celery }, string>('after_task_publish');

// ---- tasks (sent by the worker; sender: the task object unless noted) ----

/**
 * Before the task function runs. `request` (cq's addition) is the request being run, what Celery's
 * receivers read as `task.request` (its `headers` carry every message header).
 */
export const task_prerun = new Signal<{ taskId: string; task: AnyTask; args: unknown[]; kwargs: Kwargs; request: TaskRequest }, AnyTask>('task_prerun');

/**
 * After the task function ran, whatever the outcome; `state` is the resulting state (`SUCCESS`,
 * `FAILURE`, `RETRY`...). `request` (cq's addition) is the same object task_prerun gave.
 */
export const task_postrun = new Signal<{ taskId: string; task: AnyTask; args: unknown[]; kwargs: Kwargs; retval: unknown; state: string; request: TaskRequest }, AnyTask>('task_postrun');

/** The task returned; `runtime` in **seconds**. */
export const task_success = new Signal<{ result: unknown; runtime: number }, AnyTask>('task_success');

/** The task failed (after retries ran out, too). */
export const task_failure = new Signal<{
  taskId: string; exception: Error; args: unknown[]; kwargs: Kwargs; traceback: string | null; einfo: ExceptionInfo;
}, AnyTask>('task_failure');

/** The task will be retried. `reason` and `einfo` are null when a shutdown cancelled it (Celery does the same). */
export const task_retry = new Signal<{ request: TaskRequest; reason: unknown; einfo: ExceptionInfo | null }, AnyTask>('task_retry');

/** The task was revoked: `expired` when its `expires` passed, `terminated` when it was stopped while running. */
export const task_revoked = new Signal<{ request: TaskRequest; terminated: boolean; signum: string | number | null; expired: boolean }, AnyTask>('task_revoked');

/** A message named a task this worker does not know. Sender: the worker's consumer. */
export const task_unknown = new Signal<{ name: string; id: string; message: Message; exc: Error }, object>('task_unknown');

/** A message on a task queue was not a task message and was rejected. Sender: the worker's consumer. */
export const task_rejected = new Signal<{ message: Message; exc: unknown }, object>('task_rejected');
/** A task message was accepted for running (not expired), before ETA or rate-limit holds. Sender: the worker's consumer. */
export const task_received = new Signal<{ request: TaskRequestFields }, object>('task_received');

// ---- worker ----

/** Before the worker starts (awaited). Sender: the worker. */
export const worker_init = new Signal<Record<never, never>, object>('worker_init');

/** The worker consumes and is ready for work (awaited, before the `ready.` line). Sender: the worker's consumer. */
export const worker_ready = new Signal<Record<never, never>, object>('worker_ready');

/**
 * The worker begins shutting down: `sig` is the POSIX signal name (null when stopped from code),
 * `how` is `warm`, `soft` or `cold`, `exitcode` the code the CLI exits with. Sender: the node name.
 */
export const worker_shutting_down = new Signal<{ sig: string | null; how: 'warm' | 'soft' | 'cold'; exitcode: number }, string>('worker_shutting_down');

/** The worker has stopped (awaited). Sender: the worker. */
export const worker_shutdown = new Signal<Record<never, never>, object>('worker_shutdown');

/** In each pool child process when it starts (sent by process pools such as @cq/billiard's). */
export const worker_process_init = new Signal<Record<never, never>, unknown>('worker_process_init');

/** In each pool child process just before it exits: its `pid` and `exitcode`. Not guaranteed to run. */
export const worker_process_shutdown = new Signal<{ pid: number; exitcode: number }, unknown>('worker_process_shutdown');
