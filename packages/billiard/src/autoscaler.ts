/**
 * `Autoscaler` (Celery `celery/worker/autoscale.py`): every `interval` it compares the jobs the pool
 * holds (queued + running, Celery's reserved requests) with its size. It grows at once up to
 * `min(jobs, max)`; it shrinks toward `max(jobs, min)` only when more than `keepalive` has passed since
 * the last growth (and, as in Celery, never before a first growth).
 */

export interface AutoscaleOptions {
  /** Most children. */
  max: number;
  /** Fewest children; the pool starts with this many. */
  min: number;
  /** Seconds after a growth before shrinking is allowed (Celery `AUTOSCALE_KEEPALIVE`). Default 30. */
  keepalive?: number;
  /** Seconds between checks. Default 1. */
  interval?: number;
}

/** What the autoscaler needs of a pool. */
export interface Scalable {
  readonly size: number;
  readonly queued: number;
  readonly active: number;
  grow(n: number): void;
  shrink(n: number): void;
}

export class Autoscaler {
  private timer: NodeJS.Timeout | undefined;
  private lastScaleUp: number | undefined;
  private readonly keepaliveMs: number;
  private readonly intervalMs: number;

  constructor(
    private readonly pool: Scalable,
    private readonly options: AutoscaleOptions,
  ) {
    const { max, min } = options;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < 1 || min > max) {
      throw new RangeError(`autoscale needs whole numbers 0 <= min <= max, max >= 1; got max=${max} min=${min}`);
    }
    this.keepaliveMs = (options.keepalive ?? 30) * 1000;
    this.intervalMs = (options.interval ?? 1) * 1000;
  }

  start(): void {
    this.timer ??= setInterval(() => this.maybeScale(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check (Celery `_maybe_scale`); true when it grew or shrank the pool. */
  maybeScale(): boolean {
    const procs = this.pool.size;
    const qty = this.pool.queued + this.pool.active;
    const up = Math.min(qty, this.options.max);
    if (up > procs) {
      this.lastScaleUp = performance.now();
      this.pool.grow(up - procs);
      return true;
    }
    const down = Math.max(qty, this.options.min);
    if (down < procs && this.lastScaleUp !== undefined && performance.now() - this.lastScaleUp > this.keepaliveMs) {
      this.pool.shrink(procs - down);
      return true;
    }
    return false;
  }
}
