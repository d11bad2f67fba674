import { describe, expect, it } from 'vitest';
import { LamportClock } from './clocks.js';

describe('LamportClock', () => {
  it('forwards by one per local event', () => {
    const clock = new LamportClock();
    expect(clock.forward()).toBe(1);
    expect(clock.forward()).toBe(2);
    expect(clock.value).toBe(2);
  });

  it('adjusts to max(local, remote) + 1', () => {
    const clock = new LamportClock(5);
    expect(clock.adjust(10)).toBe(11);
    expect(clock.adjust(3)).toBe(12);
    expect(String(clock)).toBe('12');
  });

  it('counts a missing or non-numeric remote clock as 0', () => {
    const clock = new LamportClock(4);
    expect(clock.adjust(undefined)).toBe(5);
    expect(clock.adjust('9')).toBe(6);
    expect(clock.adjust(Number.NaN)).toBe(7);
  });
});
