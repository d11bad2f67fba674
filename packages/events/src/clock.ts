/**
 * The Lamport clock events carry in `clock` (kombu `kombu/clocks.py` `LamportClock`; Celery
 * `app.clock`). Every sent event forwards it; every received event adjusts it to
 * `max(local, remote) + 1`, so events of a cluster can be ordered without synchronized wall clocks.
 */
import type { Celery } from '@cq/app';

export class LamportClock {
  /** @param value the starting value; default 0. */
  constructor(public value = 0) {}

  /** Advances on a local event (a send); returns the new value. */
  forward(): number {
    this.value += 1;
    return this.value;
  }

  /** Merges a remote clock value (a receive): `max(local, other) + 1`; returns the new value. */
  adjust(other: number): number {
    this.value = Math.max(this.value, Number(other) || 0) + 1;
    return this.value;
  }
}

const clocks = new WeakMap<Celery, LamportClock>();

/** The app's one clock (Celery `app.clock`), shared by its dispatchers, receivers and the `clock` control command. */
export function appClock(app: Celery): LamportClock {
  let clock = clocks.get(app);
  if (!clock) clocks.set(app, (clock = new LamportClock()));
  return clock;
}
