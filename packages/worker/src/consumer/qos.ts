/**
 * The prefetch count of the consumer's channel, changed while the worker runs (kombu `common.QoS`):
 * an ETA task held in memory raises it by one so it does not block the next delivery, and lowers it
 * again when it runs. 0 means unlimited and is never changed. A `fixed` QoS keeps its initial value:
 * a per-consumer limit (RabbitMQ quorum queues) cannot be changed for consumers already running.
 */
export class QoS {
  /** The prefetch count wanted now. */
  value: number;
  private applied: number | null = null;
  /** The value never changes after construction (Celery 5.5 with quorum queues: "Prefetch count is now static"). */
  readonly fixed: boolean;

  /**
   * @param apply sets the channel's prefetch count (AMQP basic.qos).
   * @param initial the starting prefetch count; 0 = unlimited.
   * @param options.fixed keep `initial` whatever is asked later. Default false.
   */
  constructor(private readonly apply: (prefetchCount: number) => Promise<void>, initial: number, options: { fixed?: boolean } = {}) {
    this.value = initial;
    this.fixed = options.fixed ?? false;
  }

  /** Raises the value by `n`; applied at the next {@link update}. */
  incrementEventually(n = 1): void {
    if (this.value > 0 && !this.fixed) this.value += Math.max(n, 0);
  }

  /** Lowers the value by `n`, never below 1; applied at the next {@link update}. */
  decrementEventually(n = 1): void {
    if (this.value > 0 && !this.fixed) this.value = Math.max(1, this.value - n);
  }

  /**
   * Follows a pool resize (Celery `Consumer._update_prefetch_count` after `pool_grow`/`pool_shrink`):
   * moves the value by |`delta`| × `multiplier` (`worker_prefetch_multiplier`) — up when the pool
   * grew by `delta` children, down when it shrank — and applies it. Nothing changes when prefetch
   * is unlimited (value or multiplier 0). Rejects when the channel refuses the new count.
   */
  async updatePrefetchCount(delta: number, multiplier: number): Promise<void> {
    if (this.value === 0 || multiplier <= 0 || delta === 0) return;
    if (delta > 0) this.incrementEventually(delta * multiplier);
    else this.decrementEventually(-delta * multiplier);
    await this.update();
  }

  /** Applies the value to the channel if it changed. */
  async update(): Promise<void> {
    if (this.value === this.applied) return;
    this.applied = this.value;
    await this.apply(this.value);
  }
}
