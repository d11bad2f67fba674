/**
 * Task rate limits (Celery `rate_limit`, `task_default_rate_limit`, `worker_disable_rate_limits`):
 * one token bucket per task type (kombu `kombu/utils/limits.py` `TokenBucket`, capacity 1 as Celery
 * creates it), and a limiter that holds the requests of a type over its rate in the worker and
 * re-checks on a timer when the next token is due (Celery `Consumer._schedule_bucket_request`).
 * Only that type waits; other types go to the pool at once. Held messages stay unacknowledged and
 * count against the prefetch window, as in Celery.
 */
import { performance } from 'node:perf_hooks';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Tasks per second for a rate (Celery `celery/utils/time.py` `rate`): `"10/s"`, `"100/m"`, `"1000/h"`,
 * `"5"` (per second) or a number per second. null, undefined, `""` and 0 mean no limit (0).
 * @throws RangeError for a string that is none of these.
 */
export function parseRate(rate: string | number | null | undefined): number {
  if (rate === null || rate === undefined || rate === '' || rate === 0) return 0;
  if (typeof rate === 'number') {
    if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`invalid rate limit ${rate}: use a number >= 0 of tasks per second`);
    return rate;
  }
  const [ops, unit = 's'] = rate.split('/', 2);
  const n = Number(ops);
  const per = UNITS[unit.trim()];
  if (!Number.isFinite(n) || n < 0 || ops!.trim() === '' || per === undefined) {
    throw new RangeError(`invalid rate limit ${JSON.stringify(rate)}: use "10/s", "100/m", "1000/h" or a number per second`);
  }
  return n / per;
}

/** A token bucket: `fillRate` tokens per second up to `capacity` (kombu `TokenBucket`). Starts full. */
export class TokenBucket {
  private tokens: number;
  private stamp: number;

  /** @param now a clock in milliseconds (default `performance.now`), injectable for tests. */
  constructor(readonly fillRate: number, readonly capacity = 1, private readonly now: () => number = () => performance.now()) {
    this.tokens = capacity;
    this.stamp = now();
  }

  /** Takes `tokens` if there are that many; false otherwise (kombu `can_consume`). */
  canConsume(tokens = 1): boolean {
    if (tokens <= this.available()) {
      this.tokens -= tokens;
      return true;
    }
    return false;
  }

  /** Seconds until `tokens` are available; 0 when they are now (kombu `expected_time`). */
  expectedTime(tokens = 1): number {
    const have = this.available();
    return (Math.max(tokens, have) - have) / this.fillRate;
  }

  private available(): number {
    if (this.tokens < this.capacity) {
      const t = this.now();
      this.tokens = Math.min(this.capacity, this.tokens + (this.fillRate * (t - this.stamp)) / 1000);
      this.stamp = t;
    }
    return this.tokens;
  }
}

interface Lane<T> {
  bucket: TokenBucket;
  pending: T[];
  timer: NodeJS.Timeout | null;
}

/**
 * Holds items of rate-limited task types until their bucket has a token, then passes them to
 * `release` in arrival order. Types without a rate are released at once.
 */
export class RateLimiter<T> {
  private readonly lanes = new Map<string, Lane<T> | null>();

  /**
   * @param rateFor the rate of a task type (see {@link parseRate}); asked once per type.
   * @param release receives each item when it may run.
   */
  constructor(private readonly rateFor: (name: string) => string | number | null | undefined, private readonly release: (item: T) => void) {}

  /** True when `name` has a rate limit. */
  limited(name: string): boolean {
    return this.lane(name) !== null;
  }

  /** Releases `item` now if its type has a token (or no limit), else holds it. */
  add(name: string, item: T): void {
    const lane = this.lane(name);
    if (!lane) {
      this.release(item);
      return;
    }
    lane.pending.push(item);
    if (!lane.timer) this.drain(lane);
  }

  /** Changes the rate of a type (Celery's `rate_limit` control command); held items keep their place. */
  setRate(name: string, rate: string | number | null): void {
    const old = this.lanes.get(name);
    const perSecond = parseRate(rate);
    if (perSecond === 0) {
      this.lanes.set(name, null);
      if (old) {
        if (old.timer) clearTimeout(old.timer);
        for (const item of old.pending.splice(0)) this.release(item);
      }
      return;
    }
    const lane: Lane<T> = { bucket: new TokenBucket(perSecond, 1), pending: old?.pending ?? [], timer: null };
    if (old?.timer) clearTimeout(old.timer);
    this.lanes.set(name, lane);
    if (lane.pending.length > 0) this.drain(lane);
  }

  /** Items held now, over all types, without taking them (`inspect reserved`). */
  get pending(): T[] {
    return [...this.lanes.values()].flatMap((lane) => lane?.pending ?? []);
  }

  /** Items held now, over all types. */
  get pendingCount(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane?.pending.length ?? 0;
    return n;
  }

  /** Stops the timers and returns every held item (warm shutdown gives their messages back). */
  takePending(): T[] {
    const out: T[] = [];
    for (const lane of this.lanes.values()) {
      if (!lane) continue;
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
      out.push(...lane.pending.splice(0));
    }
    return out;
  }

  private lane(name: string): Lane<T> | null {
    let lane = this.lanes.get(name);
    if (lane === undefined) {
      const perSecond = parseRate(this.rateFor(name));
      lane = perSecond > 0 ? { bucket: new TokenBucket(perSecond, 1), pending: [], timer: null } : null;
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private drain(lane: Lane<T>): void {
    lane.timer = null;
    while (lane.pending.length > 0) {
      if (!lane.bucket.canConsume(1)) {
        const waitMs = Math.max(1, Math.ceil(lane.bucket.expectedTime(1) * 1000));
        lane.timer = setTimeout(() => this.drain(lane), waitMs);
        return;
      }
      this.release(lane.pending.shift()!);
    }
  }
}
