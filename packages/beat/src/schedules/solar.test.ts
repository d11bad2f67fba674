import { describe, expect, it } from 'vitest';
import { ScheduleParseError } from '../errors.js';
import { solar, type SolarEvent } from './solar.js';

const LONDON = { lat: 51.5074, lon: -0.1278 };
const minutesApart = (a: Date, b: Date) => Math.abs(a.getTime() - b.getTime()) / 60_000;

describe('solar: London on the 2024 solstices', () => {
  // Third column: published sunrise and sunset (timeanddate.com, to the minute: 04:43/21:21 BST in June,
  // 08:03/15:53 GMT in December); for the other events, Celery's time to the minute. Fourth column: the
  // times Python Celery's solar() computes with ephem 4.1 (its horizons, pressure 0), to the second.
  const cases: Array<[SolarEvent, string, string, string]> = [
    ['sunrise', '2024-06-21T00:00:00Z', '2024-06-21T03:43:00Z', '2024-06-21T03:43:14Z'],
    ['sunset', '2024-06-21T00:00:00Z', '2024-06-21T20:21:00Z', '2024-06-21T20:21:36Z'],
    ['solar_noon', '2024-06-21T00:00:00Z', '2024-06-21T12:02:00Z', '2024-06-21T12:02:26Z'],
    ['dawn_civil', '2024-06-21T00:00:00Z', '2024-06-21T02:55:00Z', '2024-06-21T02:55:26Z'],
    ['dusk_nautical', '2024-06-21T00:00:00Z', '2024-06-21T22:24:00Z', '2024-06-21T22:24:02Z'],
    ['sunrise', '2024-12-21T00:00:00Z', '2024-12-21T08:03:00Z', '2024-12-21T08:03:57Z'],
    ['sunset', '2024-12-21T00:00:00Z', '2024-12-21T15:53:00Z', '2024-12-21T15:53:39Z'],
    ['solar_noon', '2024-12-21T00:00:00Z', '2024-12-21T11:58:00Z', '2024-12-21T11:58:48Z'],
    ['dawn_civil', '2024-12-21T00:00:00Z', '2024-12-21T07:23:00Z', '2024-12-21T07:23:39Z'],
    ['dusk_civil', '2024-12-21T00:00:00Z', '2024-12-21T16:33:00Z', '2024-12-21T16:33:57Z'],
    ['sunrise', '2024-12-21T16:00:00Z', '2024-12-22T08:04:00Z', '2024-12-22T08:04:26Z'],
    ['dusk_civil', '2024-12-21T16:00:00Z', '2024-12-21T16:33:00Z', '2024-12-21T16:33:57Z'],
  ];
  it.each(cases)('%s after %s: published %s, Celery %s', (event, after, published, celery) => {
    const next = solar(event, LONDON.lat, LONDON.lon).nextAfter(new Date(after));
    expect(minutesApart(next, new Date(published))).toBeLessThanOrEqual(1.5);
    expect(minutesApart(next, new Date(celery))).toBeLessThanOrEqual(0.5);
  });

  it('after today\'s sunset, the next is tomorrow\'s', () => {
    const next = solar('sunset', LONDON.lat, LONDON.lon).nextAfter(new Date('2024-12-21T16:00:00Z'));
    expect(minutesApart(next, new Date('2024-12-22T15:54:11Z'))).toBeLessThanOrEqual(0.5);
  });

  it('in polar night the next sunrise is weeks away (Tromsø, 21 Dec 2024 -> mid January)', () => {
    const next = solar('sunrise', 69.6492, 18.9553).nextAfter(new Date('2024-12-21T00:00:00Z'));
    expect(next.getTime()).toBeGreaterThan(new Date('2025-01-10T00:00:00Z').getTime());
    expect(next.getTime()).toBeLessThan(new Date('2025-01-20T00:00:00Z').getTime());
  });

  it('isDue: not due before the event, due after it with next = wait to the following one', () => {
    const s = solar('sunset', LONDON.lat, LONDON.lon);
    const last = new Date('2024-12-21T12:00:00Z');
    const before = s.isDue(last, new Date('2024-12-21T15:00:00Z'));
    expect(before.isDue).toBe(false);
    expect(before.next).toBeGreaterThan(50 * 60);
    const after = s.isDue(last, new Date('2024-12-21T16:00:00Z'));
    expect(after.isDue).toBe(true);
    expect(after.next / 3600).toBeGreaterThan(23.5);
    expect(after.next / 3600).toBeLessThan(24.5);
  });

  it('rejects unknown events and coordinates out of range, as Celery does', () => {
    expect(() => solar('moonrise' as SolarEvent, 0, 0)).toThrow(ScheduleParseError);
    expect(() => solar('sunrise', 91, 0)).toThrow(/latitude/);
    expect(() => solar('sunrise', 0, 181)).toThrow(/longitude/);
  });
});
