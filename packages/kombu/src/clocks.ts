/**
 * Lamport's logical clock (kombu `kombu/clocks.py` `LamportClock`). A process forwards its counter
 * before each event it sends and adjusts it to `max(local, remote) + 1` on each message it receives,
 * so events of a cluster can be ordered without synchronized wall clocks.
 *
 * One clock per app (Celery `app.clock`): the events a worker sends (`clock` field), its pidbox
 * requests and replies (`clock` header), mingle's sync and the `--statedb` file all read and move
 * the same counter.
 */
export class LamportClock {
  /** The current value; starts at the constructor's `value` (default 0). */
  value: number;

  /** @param value the starting value; default 0. */
  constructor(value = 0) {
    this.value = value;
  }

  /** Ticks for a local event or a send; returns the new value. */
  forward(): number {
    this.value += 1;
    return this.value;
  }

  /**
   * Merges a received clock: `max(local, remote) + 1`; returns the new value. A missing or
   * non-numeric `remote` counts as 0 (kombu adjusts with `header('clock') or 0`).
   */
  adjust(remote: unknown): number {
    const other = typeof remote === 'number' && Number.isFinite(remote) ? remote : 0;
    this.value = Math.max(this.value, other) + 1;
    return this.value;
  }

  /** The value as text (kombu `__str__`). */
  toString(): string {
    return String(this.value);
  }
}
