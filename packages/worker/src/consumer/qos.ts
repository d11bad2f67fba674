/**
 * The prefetch count of the consumer's channel, changed while the worker runs (kombu `common.QoS`):
 * an ETA task held in memory raises it by one so it does not block the next delivery, and lowers it
 * again when it runs. 0 means unlimited and is never changed.
 */
export class QoS {
  /** The prefetch count wanted now. */
  value: number;
  private applied: number | null = null;

  /**
   * @param apply sets the channel's prefetch count (AMQP basic.qos).
   * @param initial the starting prefetch count; 0 = unlimited.
   */
  constructor(private readonly apply: (prefetchCount: number) => Promise<void>, initial: number) {
    this.value = initial;
  }

  /** Raises the value by `n`; applied at the next {@link update}. */
  incrementEventually(n = 1): void {
    if (this.value > 0) this.value += Math.max(n, 0);
  }

  /** Lowers the value by `n`, never below 1; applied at the next {@link update}. */
  decrementEventually(n = 1): void {
    if (this.value > 0) this.value = Math.max(1, this.value - n);
  }

  /** Applies the value to the channel if it changed. */
  async update(): Promise<void> {
    if (this.value === this.applied) return;
    this.applied = this.value;
    await this.apply(this.value);
  }
}
