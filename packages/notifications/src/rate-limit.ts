/**
 * The rate limit of failure notifications (cq: Celery e-mailed every failure): fixed windows per key
 * (task name + exception type). A window opens with the first failure of its key and lasts `windowMs`;
 * its first `max` failures are sent, the rest are counted and left out. When the window closes, one
 * digest is emitted for the last failure left out, carrying how many were left out; then the key
 * starts afresh. So 11 failures of one key within a window give 10 notifications and, at the
 * window's end, one digest with `suppressed: 1`. Timers are unref'd: they never hold a process open.
 */

export interface RateLimit {
  /** Notifications sent per key and window. Default 10. */
  max: number;
  /** Length of a window in **milliseconds**. Default 60,000. */
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: Readonly<RateLimit> = Object.freeze({ max: 10, windowMs: 60_000 });

interface Window<T> {
  sent: number;
  suppressed: number;
  last: T | null;
  timer: NodeJS.Timeout;
}

export class FailureWindows<T> {
  private readonly windows = new Map<string, Window<T>>();

  /** @param onDigest called when a window closes having left `suppressed` > 0 failures out; `last` is the latest of them. */
  constructor(readonly limit: Readonly<RateLimit>, private readonly onDigest: (last: T, suppressed: number) => void) {}

  /** Counts `item` under `key`; true when it is to be sent now, false when the window is full. */
  admit(key: string, item: T): boolean {
    let window = this.windows.get(key);
    if (!window) {
      const timer = setTimeout(() => this.close(key), this.limit.windowMs);
      timer.unref();
      window = { sent: 0, suppressed: 0, last: null, timer };
      this.windows.set(key, window);
    }
    if (window.sent < this.limit.max) {
      window.sent += 1;
      return true;
    }
    window.suppressed += 1;
    window.last = item;
    return false;
  }

  /** Closes every window now, emitting the digests due (at shutdown). */
  flush(): void {
    for (const key of [...this.windows.keys()]) this.close(key);
  }

  /** Open windows (keys seen within the last `windowMs`). */
  get size(): number {
    return this.windows.size;
  }

  private close(key: string): void {
    const window = this.windows.get(key);
    if (!window) return;
    clearTimeout(window.timer);
    this.windows.delete(key);
    if (window.suppressed > 0 && window.last !== null) this.onDigest(window.last, window.suppressed);
  }
}
