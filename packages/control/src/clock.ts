/**
 * A Lamport clock (kombu `kombu/clocks.py` `LamportClock`): `forward()` before each send,
 * `adjust(remote)` on each receive. Carried in the `clock` header of pidbox requests and replies.
 */
export class LamportClock {
  constructor(public value = 0) {}

  /** Ticks and returns the new value (a local event or a send). */
  forward(): number {
    this.value += 1;
    return this.value;
  }

  /** Merges a received clock: `max(local, remote) + 1`. Non-numbers are ignored. */
  adjust(remote: unknown): number {
    const other = typeof remote === 'number' && Number.isFinite(remote) ? remote : 0;
    this.value = Math.max(this.value, other) + 1;
    return this.value;
  }
}
