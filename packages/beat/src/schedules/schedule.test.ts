import { describe, expect, it } from 'vitest';
import { ScheduleParseError } from '../errors.js';
import { parseDuration } from './duration.js';
import { schedule } from './schedule.js';

const at = (iso: string) => new Date(iso);

describe('interval schedule (Celery schedule)', () => {
  it('is not due before the interval ends; next is the time left', () => {
    expect(schedule(30).isDue(at('2024-01-01T00:00:00Z'), at('2024-01-01T00:00:10Z'))).toEqual({ isDue: false, next: 20 });
  });
  it('is due when the interval ended; next is the whole interval', () => {
    expect(schedule(30).isDue(at('2024-01-01T00:00:00Z'), at('2024-01-01T00:00:31Z'))).toEqual({ isDue: true, next: 30 });
  });
  it('relative rounds the next run down to the resolution of the interval', () => {
    // last 10:20 + 1 h = 11:20, rounded to the hour = 11:00: 30 min after 10:30.
    expect(schedule(3600, { relative: true }).remainingEstimate(at('2024-01-01T10:20:00Z'), at('2024-01-01T10:30:00Z'))).toBe(1800);
    expect(schedule(3600).remainingEstimate(at('2024-01-01T10:20:00Z'), at('2024-01-01T10:30:00Z'))).toBe(3000);
    expect(schedule(120, { relative: true }).remainingEstimate(at('2024-01-01T10:20:45Z'), at('2024-01-01T10:20:45Z'))).toBe(75);
  });
  it('takes durations', () => {
    expect(schedule('5m').seconds).toBe(300);
    expect(schedule('PT1H30M').seconds).toBe(5400);
    expect(String(schedule(30))).toBe('<freq: 30.00 seconds>');
  });
  it('rejects zero, negative and unreadable intervals', () => {
    expect(() => schedule(0)).toThrow(ScheduleParseError);
    expect(() => schedule(-5)).toThrow(ScheduleParseError);
    expect(() => schedule('soon')).toThrow(ScheduleParseError);
  });
});

describe('parseDuration', () => {
  it.each([['30', 30], ['1.5', 1.5], ['90s', 90], ['5m', 300], ['1h30m', 5400], ['1.5h', 5400], ['2d', 172_800], ['1w', 604_800], ['500ms', 0.5], ['PT5M', 300], ['P1D', 86_400]])(
    '%s = %d s', (text, seconds) => expect(parseDuration(text)).toBe(seconds),
  );
  it('names what it accepts on failure', () => {
    expect(() => parseDuration('5 minutes')).toThrow(/"5m"/);
  });
});
