/**
 * The worker's reports of bad messages — bodies it cannot decode or refuses, messages that are not
 * tasks, unknown task names, stored entries that are not messages — written to its logger at most
 * `perSecond` lines a second (cq; Celery logs every one), so a flood of bad input cannot fill a disk.
 * Past the budget, reports are counted, and one line per second at most says how many were held
 * back: `Suppressed 1234 more bad-message report(s) in the last 1.0 s`. Every report is thus either
 * written or counted in such a line.
 *
 * Each report is one line: control characters in it (newlines from a hostile body or content type)
 * are escaped, and it is cut at {@link MAX_LINE} characters.
 */
import type { Logger } from '@cq/app';

/** Most characters of one report line. */
export const MAX_LINE = 2000;

export type BadMessageLevel = 'fatal' | 'error' | 'warn';

export interface BadMessageLogOptions {
  /** Lines written per second at most (a line of held-back reports aside). Default 20. */
  perSecond?: number;
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
}

const CONTROL = /[\u0000-\u001f\u007f]/g;

/** A rate-limited writer of bad-message reports; see the module doc. */
export class BadMessageLog {
  /** Reports written, and reports held back (counted in the "Suppressed" lines), since start. */
  readonly totals = { written: 0, suppressed: 0 };
  private readonly perSecond: number;
  private readonly now: () => number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private held = 0;
  private heldSince = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger, options: BadMessageLogOptions = {}) {
    this.perSecond = options.perSecond ?? 20;
    this.now = options.now ?? Date.now;
  }

  /** Writes `line` at `level` (`fatal` is Celery's critical), or holds it back past this second's budget. */
  report(level: BadMessageLevel, line: string): void {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.flush();
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow < this.perSecond) {
      this.inWindow++;
      this.totals.written++;
      this.log[level](oneLine(line));
      return;
    }
    if (this.held++ === 0) this.heldSince = now;
    this.totals.suppressed++;
    // The count is written when the window ends, even if no report comes after it.
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, Math.max(1, this.windowStart + 1000 - now)).unref();
  }

  /** Writes the line counting the reports held back, if any (also called when the worker stops). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.held === 0) return;
    const seconds = Math.max(0, this.now() - this.heldSince) / 1000;
    this.log.warn(`Suppressed ${this.held} more bad-message report(s) in the last ${seconds.toFixed(1)} s (at most ${this.perSecond} lines a second are written)`);
    this.held = 0;
  }
}

function oneLine(line: string): string {
  const escaped = line.replace(CONTROL, (c) => (c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return escaped.length > MAX_LINE ? `${escaped.slice(0, MAX_LINE)}…` : escaped;
}
