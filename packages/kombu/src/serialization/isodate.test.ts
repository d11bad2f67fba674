import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { requirePython } from '@cq/tooling/testing';
import { DecodeError, EncodeError } from '../errors.js';
import { formatPythonIsoDate, parseIsoDate } from './isodate.js';

describe('formatPythonIsoDate', () => {
  it('writes 6 fractional digits and +00:00', () => {
    expect(formatPythonIsoDate(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))).toBe('2024-01-02T03:04:05.678000+00:00');
    expect(formatPythonIsoDate(new Date(0))).toBe('1970-01-01T00:00:00.000000+00:00');
  });

  it('pads small years to 4 digits', () => {
    const d = new Date(0);
    d.setUTCFullYear(5, 0, 1);
    expect(formatPythonIsoDate(d)).toBe('0005-01-01T00:00:00.000000+00:00');
  });

  it('rejects invalid dates and years Python cannot hold', () => {
    expect(() => formatPythonIsoDate(new Date(Number.NaN))).toThrow(EncodeError);
    expect(() => formatPythonIsoDate(new Date(Date.UTC(10000, 0, 1)))).toThrow(EncodeError);
  });
});

describe('parseIsoDate', () => {
  const at = (iso: string): number => parseIsoDate(iso).getTime();
  const base = Date.UTC(2024, 0, 2, 3, 4, 5);

  it('accepts Z, ±HH:MM, ±HHMM, ±HH and naive (= UTC)', () => {
    expect(at('2024-01-02T03:04:05Z')).toBe(base);
    expect(at('2024-01-02T03:04:05+00:00')).toBe(base);
    expect(at('2024-01-02T03:04:05')).toBe(base);
    expect(at('2024-01-02T08:34:05+05:30')).toBe(base);
    expect(at('2024-01-01T19:04:05-0800')).toBe(base);
    expect(at('2024-01-02T05:04:05+02')).toBe(base);
    expect(at('2024-01-02 03:04:05+00:00')).toBe(base);
  });

  it('reads fractions of any length as fractions of a second', () => {
    expect(at('2024-01-02T03:04:05.5Z')).toBe(base + 500);
    expect(at('2024-01-02T03:04:05.678Z')).toBe(base + 678);
    expect(at('2024-01-02T03:04:05.678901+00:00')).toBe(base + 678);
    expect(at('2024-01-02T03:04:05.123456789Z')).toBe(base + 123);
  });

  it('accepts a bare date as midnight UTC', () => {
    expect(at('2024-01-02')).toBe(Date.UTC(2024, 0, 2));
  });

  it.each(['', 'yesterday', '2024-1-2', '2024-13-01T00:00:00', '2024-02-30T00:00:00', '2024-01-02T24:00:00', '2024-01-02T03:04:05+25:00', '0000-01-01'])(
    'rejects %j with DecodeError',
    (text) => {
      expect(() => parseIsoDate(text)).toThrow(DecodeError);
    },
  );

  it('round-trips formatPythonIsoDate', () => {
    const d = new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999));
    expect(parseIsoDate(formatPythonIsoDate(d)).getTime()).toBe(d.getTime());
  });

  describe('against Python datetime', () => {
    beforeAll(() => { requirePython(); });

    it('parses what isoformat() writes, and Python parses what we write', () => {
      const script = [
        'import datetime as dt, json, sys',
        'epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)',
        'ms = lambda d: (d - epoch) // dt.timedelta(milliseconds=1)',
        'tz = dt.timezone(dt.timedelta(hours=-3, minutes=-30))',
        'vals = [dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc),',
        '        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),',
        '        dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=tz)]',
        'ours = dt.datetime.fromisoformat(sys.argv[1])',
        'print(json.dumps({"pairs": [[v.isoformat(), ms(v)] for v in vals], "ours": ms(ours)}))',
      ].join('\n');
      const date = new Date(Date.UTC(2031, 5, 7, 8, 9, 10, 11));
      const out = JSON.parse(
        execFileSync(requirePython(), ['-c', script, formatPythonIsoDate(date)], { encoding: 'utf8' }),
      ) as { pairs: [string, number][]; ours: number };
      expect(out.pairs).toHaveLength(3);
      for (const [iso, ms] of out.pairs) expect(parseIsoDate(iso).getTime()).toBe(ms);
      expect(out.ours).toBe(date.getTime());
    });
  });
});
