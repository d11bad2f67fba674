import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FailureWindows } from './rate-limit.js';

describe('FailureWindows', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets max through per key and window, then emits one digest for the rest when the window closes', () => {
    const digests: Array<[string, number]> = [];
    const windows = new FailureWindows<string>({ max: 10, windowMs: 60_000 }, (last, n) => digests.push([last, n]));
    const admitted = Array.from({ length: 11 }, (_v, i) => windows.admit('t\0ValueError', `f${i}`));
    expect(admitted.filter(Boolean)).toHaveLength(10);
    expect(admitted[10]).toBe(false);
    expect(windows.admit('t\0TypeError', 'other')).toBe(true);
    expect(windows.admit('t\0ValueError', 'f11')).toBe(false);

    vi.advanceTimersByTime(59_999);
    expect(digests).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(digests).toEqual([['f11', 2]]);
    expect(windows.size).toBe(0);
    // a new window
    expect(windows.admit('t\0ValueError', 'f12')).toBe(true);
  });

  it('emits no digest for a window that left nothing out, and flushes open windows at once', () => {
    const digests: Array<[string, number]> = [];
    const windows = new FailureWindows<string>({ max: 1, windowMs: 1000 }, (last, n) => digests.push([last, n]));
    windows.admit('a', 'a0');
    windows.admit('b', 'b0');
    windows.admit('b', 'b1');
    windows.flush();
    expect(digests).toEqual([['b1', 1]]);
    expect(windows.size).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(digests).toHaveLength(1);
  });
});
