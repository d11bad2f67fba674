import { describe, expect, it } from 'vitest';
import { ScheduleParseError } from '../errors.js';
import { Crontab, crontab, type CrontabFields } from './crontab.js';
import { CrontabParser } from './crontab-parser.js';

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

describe('CrontabParser (Celery crontab_parser)', () => {
  const cases: Array<[string, number, number, string, number[]]> = [
    ['minute */15', 60, 0, '*/15', [0, 15, 30, 45]],
    ['minute list, range, stepped range', 60, 0, '1,13,30-45,50-59/2', [1, 13, ...Array.from({ length: 16 }, (_, i) => 30 + i), 50, 52, 54, 56, 58]],
    ['hour 0,8-17/2', 24, 0, '0,8-17/2', [0, 8, 10, 12, 14, 16]],
    ['hour */4', 24, 0, '*/4', [0, 4, 8, 12, 16, 20]],
    ['day_of_week *', 7, 0, '*', [0, 1, 2, 3, 4, 5, 6]],
    ['day_of_week mon-fri', 7, 0, 'mon-fri', [1, 2, 3, 4, 5]],
    ['day_of_week fri-mon wraps', 7, 0, 'fri-mon', [0, 1, 5, 6]],
    ['day_of_week full names', 7, 0, 'sunday,Saturday', [0, 6]],
    ['day_of_week */2 means even days', 7, 0, '*/2', [0, 2, 4, 6]],
    ['day_of_month */3', 31, 1, '*/3', [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31]],
    ['day_of_month 1-7,15-21', 31, 1, '1-7,15-21', [1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 18, 19, 20, 21]],
    ['month_of_year 2-12/2', 12, 1, '2-12/2', [2, 4, 6, 8, 10, 12]],
    ['month_of_year */2', 12, 1, '*/2', [1, 3, 5, 7, 9, 11]],
  ];
  it.each(cases)('%s', (_label, max, min, spec, expected) => {
    expect(sorted(new CrontabParser(max, min).parse(spec))).toEqual(expected);
  });

  const bad: Array<[string, number, number, string]> = [
    ['minute 60', 60, 0, '60'],
    ['day_of_month 0', 31, 1, '0'],
    ['unknown weekday', 7, 0, 'funday'],
    ['empty step', 60, 0, '*/'],
    ['empty part', 60, 0, '1,,2'],
    ['negative', 60, 0, '-1'],
    ['day_of_week 7', 7, 0, '7'],
  ];
  it.each(bad)('rejects %s', (_label, max, min, spec) => {
    expect(() => new CrontabParser(max, min).parse(spec)).toThrow(ScheduleParseError);
  });

  it('rejects out-of-range numbers given as lists, naming the field', () => {
    expect(() => crontab({ hour: [24] })).toThrow(/hour/);
    expect(() => crontab({ timezone: 'Mars/Olympus' })).toThrow(ScheduleParseError);
  });
});

describe('Crontab.nextAfter: known cases', () => {
  const cases: Array<[string, CrontabFields, string, string]> = [
    ['every minute', {}, '2024-01-01T10:00:30Z', '2024-01-01T10:01:00.000Z'],
    ['*/15 at the hour end', { minute: '*/15' }, '2024-01-01T10:45:00Z', '2024-01-01T11:00:00.000Z'],
    ['year rollover', { minute: 0, hour: 0, day_of_month: 1, month_of_year: 1 }, '2024-06-01T00:00:00Z', '2025-01-01T00:00:00.000Z'],
    ['day 31 skips 30-day months', { minute: 0, hour: 0, day_of_month: 31 }, '2024-04-15T00:00:00Z', '2024-05-31T00:00:00.000Z'],
    ['month end 28-31 after 28 Feb 2023', { minute: 0, hour: 12, day_of_month: '28-31' }, '2023-02-28T12:00:00Z', '2023-03-28T12:00:00.000Z'],
    ['month end 28-31 in leap February', { minute: 0, hour: 12, day_of_month: '28-31' }, '2024-02-28T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['29 Feb from a common year', { minute: 0, hour: 0, day_of_month: 29, month_of_year: 2 }, '2023-03-01T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['29 Feb from 29 Feb', { minute: 0, hour: 0, day_of_month: 29, month_of_year: 2 }, '2024-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['29 Feb AND Monday (2044)', { minute: 0, hour: 0, day_of_month: 29, month_of_year: 2, day_of_week: 'mon' }, '2024-01-01T00:00:00Z', '2044-02-29T00:00:00.000Z'],
    ['mon-fri after a Friday run', { minute: 0, hour: 9, day_of_week: 'mon-fri' }, '2024-03-08T09:00:00Z', '2024-03-11T09:00:00.000Z'],
    ['day_of_week 0 is Sunday', { minute: 0, hour: 0, day_of_week: 0 }, '2024-03-09T12:00:00Z', '2024-03-10T00:00:00.000Z'],
    ['day_of_week sun', { minute: 0, hour: 0, day_of_week: 'sun' }, '2024-03-09T12:00:00Z', '2024-03-10T00:00:00.000Z'],
    ['day_of_week sat', { minute: 0, hour: 0, day_of_week: 'sat' }, '2024-03-04T12:00:00Z', '2024-03-09T00:00:00.000Z'],
    ['first Monday: day_of_month AND day_of_week', { minute: 0, hour: 0, day_of_month: '1-7', day_of_week: 'mon' }, '2024-01-01T00:00:00Z', '2024-02-05T00:00:00.000Z'],
    ['hours list 0,8-17/2', { minute: 0, hour: '0,8-17/2' }, '2024-01-01T16:00:00Z', '2024-01-02T00:00:00.000Z'],
    // America/New_York springs forward 2024-03-10 02:00 EST -> 03:00 EDT.
    ['NY 02:30 the day before DST', { minute: 30, hour: 2, timezone: 'America/New_York' }, '2024-03-08T07:30:00Z', '2024-03-09T07:30:00.000Z'],
    ['NY 02:30 in the spring gap runs at 03:30 EDT', { minute: 30, hour: 2, timezone: 'America/New_York' }, '2024-03-09T07:30:00Z', '2024-03-10T07:30:00.000Z'],
    ['NY 02:30 after the gap is 02:30 EDT', { minute: 30, hour: 2, timezone: 'America/New_York' }, '2024-03-10T07:30:00Z', '2024-03-11T06:30:00.000Z'],
    ['NY 09:00 daily moves an hour in UTC', { minute: 0, hour: 9, timezone: 'America/New_York' }, '2024-03-09T14:00:00Z', '2024-03-10T13:00:00.000Z'],
    // America/New_York falls back 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 happens twice, runs once.
    ['NY 01:30 on the fall-back day: first occurrence', { minute: 30, hour: 1, timezone: 'America/New_York' }, '2024-11-02T05:30:00Z', '2024-11-03T05:30:00.000Z'],
    ['NY 01:30 not again in the repeated hour', { minute: 30, hour: 1, timezone: 'America/New_York' }, '2024-11-03T05:30:00Z', '2024-11-04T06:30:00.000Z'],
    ['NY */30 from the repeated hour moves on', { minute: '*/30', timezone: 'America/New_York' }, '2024-11-03T06:15:00Z', '2024-11-03T07:00:00.000Z'],
    // Europe/London springs forward 2024-03-31 01:00 GMT -> 02:00 BST.
    ['London hourly across the gap', { minute: 0, timezone: 'Europe/London' }, '2024-03-31T00:30:00Z', '2024-03-31T01:00:00.000Z'],
    ['London hourly after the gap', { minute: 0, timezone: 'Europe/London' }, '2024-03-31T01:00:00Z', '2024-03-31T02:00:00.000Z'],
    ['Sydney first day of month (UTC+11)', { minute: 0, hour: 0, day_of_month: 1, timezone: 'Australia/Sydney' }, '2024-01-15T00:00:00Z', '2024-01-31T13:00:00.000Z'],
  ];
  it.each(cases)('%s', (_label, fields, after, expected) => {
    expect(new Crontab(fields).nextAfter(new Date(after)).toISOString()).toBe(expected);
  });

  it('throws for a day that never comes (30 February)', () => {
    expect(() => crontab({ day_of_month: 30, month_of_year: 2 }).nextAfter(new Date('2024-01-01T00:00:00Z'))).toThrow(ScheduleParseError);
  });
});

describe('Crontab.isDue (Celery is_due: (is_due, next))', () => {
  const every5 = crontab({ minute: '*/5' });
  it('is not due before the next match, and says how long to wait', () => {
    expect(every5.isDue(new Date('2024-01-01T10:00:00Z'), new Date('2024-01-01T10:04:00Z'))).toEqual({ isDue: false, next: 60 });
  });
  it('is due after the match; next is the wait from now to the following match', () => {
    expect(every5.isDue(new Date('2024-01-01T10:00:00Z'), new Date('2024-01-01T10:05:10Z'))).toEqual({ isDue: true, next: 290 });
  });
  it('a run missed for hours is due once; next counts from now', () => {
    expect(every5.isDue(new Date('2024-01-01T10:00:00Z'), new Date('2024-01-01T13:02:00Z'))).toEqual({ isDue: true, next: 180 });
  });
  it('prints like Celery', () => {
    expect(String(crontab({ minute: '*/5', day_of_week: 'mon-fri' }))).toBe('<crontab: */5 * * * mon-fri (m/h/dM/MY/d)>');
  });
});
