import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '@cq/app';
import { BadMessageLog, MAX_LINE } from './bad-message-log.js';

/** A logger that keeps `[level, line]` pairs. */
function recorder(): { log: Logger; lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (line: string) => void lines.push([level, line]);
  return { log: { fatal: at('fatal'), error: at('error'), warn: at('warn') } as unknown as Logger, lines };
}

const suppressedIn = (lines: Array<[string, string]>) =>
  lines.reduce((n, [, l]) => n + Number(/^Suppressed (\d+) more/.exec(l)?.[1] ?? 0), 0);

afterEach(() => {
  vi.useRealTimers();
});

describe('BadMessageLog', () => {
  it('writes at most perSecond lines a second and counts the rest in one line per window', () => {
    let now = 0;
    const { log, lines } = recorder();
    const bad = new BadMessageLog(log, { perSecond: 5, now: () => now });
    for (let i = 0; i < 12; i++) bad.report('error', `bad ${i}`);
    expect(lines.map(([, l]) => l)).toEqual(['bad 0', 'bad 1', 'bad 2', 'bad 3', 'bad 4']);
    now = 1000; // next window: the held-back count is written first
    bad.report('fatal', 'bad 12');
    expect(lines.slice(5)).toEqual([['warn', expect.stringMatching(/^Suppressed 7 more bad-message report\(s\) in the last 1\.0 s/) as string], ['fatal', 'bad 12']]);
    expect(bad.totals).toEqual({ written: 6, suppressed: 7 });
    bad.flush();
    expect(lines).toHaveLength(7);
  });

  it('writes the count when its window ends even if no report follows, so every report is accounted for', () => {
    vi.useFakeTimers();
    const { log, lines } = recorder();
    const bad = new BadMessageLog(log, { perSecond: 3, now: () => Date.now() });
    for (let i = 0; i < 1000; i++) bad.report('error', `bad ${i}`);
    expect(lines).toHaveLength(3);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(4);
    expect(lines.length - 1 + suppressedIn(lines)).toBe(1000);
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(4);
  });

  it('keeps a report on one line: control characters escaped, long lines cut', () => {
    const { log, lines } = recorder();
    const bad = new BadMessageLog(log);
    bad.report('error', 'type:text/html\nFAKE: injected\r\x1b[31m');
    bad.report('error', 'x'.repeat(MAX_LINE + 500));
    expect(lines[0]![1]).toBe('type:text/html\\nFAKE: injected\\x0d\\x1b[31m');
    expect(lines[1]![1]).toHaveLength(MAX_LINE + 1);
  });
});
