/**
 * ETA/countdown tasks held in worker memory until due (Celery `strategy.py` `call_at(eta, ...)` with
 * `consumer.qos.increment_eventually()`), with the cap of Celery 5.5 `worker_eta_task_limit`.
 *
 * Each held task raises the channel's prefetch count by one, so held tasks do not starve the tasks
 * that are due; it is lowered again when the task is due. With a limit, the prefetch count is never
 * raised past `limit` in total: once `limit` messages are unacknowledged (held ETA tasks included)
 * the broker delivers no more, the rest of the ETA tasks stay on the broker, and fetching resumes as
 * held tasks come due. The limit needs a prefetch limit (`worker_prefetch_multiplier` > 0): with
 * unlimited prefetch nothing bounds the deliveries, as in Celery.
 */

/** Largest delay `setTimeout` takes (about 24.8 days); longer ETAs re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface EtaScheduleOptions<T> {
  /** `worker_eta_task_limit`: most unacknowledged messages once ETA tasks are held; null = no cap. */
  limit: number | null;
  /** The worker's prefetch count without held tasks (concurrency × multiplier); 0 = unlimited. */
  basePrefetch: number;
  /** Raises (> 0) or lowers (< 0) the channel's prefetch count. */
  adjustPrefetch(delta: number): void;
  /** Called with an item when its ETA is reached. */
  due(item: T): void;
}

interface Held<T> {
  item: T;
  eta: number;
  timer: NodeJS.Timeout;
}

export class EtaSchedule<T> {
  /** Held items by key (the strategy uses task id and delivery tag, so a redelivery never hides a message). */
  readonly held = new Map<string, Held<T>>();
  /** Prefetch raise applied so far for the held items. */
  private raised = 0;

  constructor(private readonly options: EtaScheduleOptions<T>) {}

  get size(): number {
    return this.held.size;
  }

  /** Holds `item` until `eta` (ms since the epoch). A second item with the same key replaces the first. */
  hold(id: string, eta: number, item: T): void {
    const previous = this.held.get(id);
    if (previous) clearTimeout(previous.timer);
    this.held.set(id, { item, eta, timer: this.arm(id, eta) });
    this.rebalance();
  }

  /** Removes every held item and returns them (warm shutdown gives their messages back). */
  takeAll(): T[] {
    const items = [...this.held.values()];
    this.held.clear();
    for (const h of items) clearTimeout(h.timer);
    this.rebalance();
    return items.map((h) => h.item);
  }

  /** The prefetch raise wanted for `count` held items under the limit. */
  static raiseFor(count: number, basePrefetch: number, limit: number | null): number {
    if (limit === null || basePrefetch === 0) return count;
    return Math.max(0, Math.min(count, limit - basePrefetch));
  }

  private arm(id: string, eta: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const h = this.held.get(id);
      if (!h || h.timer !== timer) return;
      if (h.eta > Date.now()) {
        h.timer = this.arm(id, h.eta);
        return;
      }
      this.held.delete(id);
      this.rebalance();
      this.options.due(h.item);
    }, Math.min(Math.max(0, eta - Date.now()), MAX_TIMER_MS));
    return timer;
  }

  private rebalance(): void {
    const want = EtaSchedule.raiseFor(this.held.size, this.options.basePrefetch, this.options.limit);
    const delta = want - this.raised;
    if (delta === 0) return;
    this.raised = want;
    this.options.adjustPrefetch(delta);
  }
}
