/**
 * Watching a task's `celery-task-meta-<id>` channel until its meta reaches a ready state (Celery's
 * Redis `ResultConsumer`): SUBSCRIBE, then one GET once Redis confirmed the subscription (a result
 * stored before it is read, one stored after it arrives as a message), then nothing but messages —
 * and a GET again after the pub/sub connection came back.
 *
 * A watch can start when the task is sent ({@link ResultWatcher.early}, Celery's `on_task_call`
 * subscribes there too), so the SUBSCRIBE and the GET happen while the task is on its way, not after
 * `get()` was called: on one machine that takes about a fifth off a round trip. Unlike Celery, whose
 * subscriptions made at send time stay until the result is read (a known cost of sending many tasks
 * whose results nobody reads), early watches are bounded: at most {@link ResultWatchOptions.earlyLimit}
 * at a time, each given up after {@link ResultWatchOptions.earlyMs} when no `get()` claims it, and its
 * subscription ends as soon as the result is in (a `get()` after that reads the stored meta).
 */
import { READY_STATES, type TaskMeta } from '@cq/backend';
import type { ResultSubscriber } from './subscriber.js';

export interface ResultWatchOptions {
  /** Early watches kept at most; a send beyond it starts none. Default 256. */
  earlyLimit?: number;
  /** Milliseconds an early watch waits to be claimed by a `get()` before it is dropped. Default 10,000. */
  earlyMs?: number;
}

/** What the watcher needs of its backend. */
export interface WatchSource {
  subscriber: ResultSubscriber;
  /** The channel (= key) of a task's meta. */
  channel(taskId: string): string;
  /** The stored meta (PENDING when none). */
  read(taskId: string): Promise<TaskMeta>;
  /** A published message as a meta; throws when it is not one. */
  decode(payload: Buffer, taskId: string): TaskMeta;
  /** The error a failed SUBSCRIBE rejects the watch with. */
  subscribeFailed(caught: unknown, channel: string, taskId: string): Error;
}

/** One watch: its meta at the first ready state, and a way to end it early. */
export interface Watch {
  readonly meta: Promise<TaskMeta>;
  /** Ends the watch (unsubscribing); `err` rejects its `meta` (default: a plain cancellation). */
  cancel(err?: Error): void;
}

interface EarlyWatch {
  watch: Watch;
  timer: NodeJS.Timeout;
}

export class ResultWatcher {
  readonly #source: WatchSource;
  readonly #earlyLimit: number;
  readonly #earlyMs: number;
  readonly #early = new Map<string, EarlyWatch>();
  /** Every watch not yet settled, to fail them all at close. */
  readonly #live = new Set<(err: Error) => void>();

  constructor(source: WatchSource, options: ResultWatchOptions = {}) {
    this.#source = source;
    this.#earlyLimit = options.earlyLimit ?? 256;
    this.#earlyMs = options.earlyMs ?? 10_000;
  }

  /** Early watches held now (for tests and diagnostics). */
  get earlyCount(): number {
    return this.#early.size;
  }

  /** Starts watching `taskId` before it is sent, unless one is already held or `earlyLimit` are. */
  early(taskId: string): void {
    if (this.#early.has(taskId) || this.#early.size >= this.#earlyLimit) return;
    const watch = this.#start(taskId);
    const timer = setTimeout(() => this.drop(taskId), this.#earlyMs);
    timer.unref();
    this.#early.set(taskId, { watch, timer });
    // Settled before a get() claimed it: forgotten at once. The stored meta is what counts then (a
    // FAILURE can be written twice: the task's, then its afterReturn's), so get() reads it anew; a
    // failure of the watch is nobody's, get() reports its own.
    const forget = (): void => {
      if (this.#early.get(taskId)?.watch !== watch) return;
      this.#early.delete(taskId);
      clearTimeout(timer);
    };
    watch.meta.then(forget, forget);
  }

  /** The watch of `taskId`: the early one when there is one (handed over once), else a new one. */
  claim(taskId: string): Watch {
    const held = this.#early.get(taskId);
    if (held) {
      this.#early.delete(taskId);
      clearTimeout(held.timer);
      return held.watch;
    }
    return this.#start(taskId);
  }

  /** Drops an early watch that will never be claimed (the result was forgotten). */
  drop(taskId: string): void {
    const held = this.#early.get(taskId);
    if (!held) return;
    this.#early.delete(taskId);
    clearTimeout(held.timer);
    held.watch.cancel();
  }

  /** Rejects every unsettled watch with `err` and forgets the early ones (the backend is closing). */
  failAll(err: Error): void {
    for (const { timer } of this.#early.values()) clearTimeout(timer);
    this.#early.clear();
    for (const fail of [...this.#live]) fail(err);
  }

  #start(taskId: string): Watch {
    const source = this.#source;
    const channel = source.channel(taskId);
    let settled = false;
    let unsubscribe: (() => void) | null = null;
    let resolveMeta!: (meta: TaskMeta) => void;
    let rejectMeta!: (err: Error) => void;
    const meta = new Promise<TaskMeta>((resolve, reject) => {
      resolveMeta = resolve;
      rejectMeta = reject;
    });
    const finish = (err: Error | null, ready?: TaskMeta): void => {
      if (settled) return;
      settled = true;
      this.#live.delete(fail);
      unsubscribe?.();
      if (ready) resolveMeta(ready);
      else rejectMeta(err!);
    };
    const fail = (err: Error): void => finish(err);
    const check = (): void => {
      source.read(taskId).then((stored) => {
        if (READY_STATES.has(stored.status)) finish(null, stored);
      }, fail);
    };
    this.#live.add(fail);
    source.subscriber.listen(channel, {
      onMessage: (payload) => {
        let published: TaskMeta;
        try {
          published = source.decode(payload, taskId);
        } catch {
          check(); // not a meta we can read: the stored value decides (and reports the error)
          return;
        }
        if (READY_STATES.has(published.status)) finish(null, published);
      },
      onReconnect: check,
    }).then((remove) => {
      if (settled) remove();
      else {
        unsubscribe = remove;
        check();
      }
    }, (caught: unknown) => finish(source.subscribeFailed(caught, channel, taskId)));
    return { meta, cancel: (err) => finish(err ?? new Error(`watching task ${taskId} was cancelled`)) };
  }
}
