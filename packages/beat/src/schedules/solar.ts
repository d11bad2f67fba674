/**
 * Solar schedule (Celery `celery.schedules.solar(event, lat, lon)`): runs at a solar event for a place
 * on Earth. Event names and horizons are Celery's; times come from `suncalc`:
 *
 * | event             | Celery horizon            | suncalc        |
 * |-------------------|---------------------------|----------------|
 * | dawn_astronomical | -18°, sun centre, rising  | nightEnd       |
 * | dawn_nautical     | -12°, centre, rising      | nauticalDawn   |
 * | dawn_civil        | -6°, centre, rising       | dawn           |
 * | sunrise           | -0°34' upper limb, rising | sunrise (-0.833° centre) |
 * | solar_noon        | transit                   | solarNoon      |
 * | sunset            | -0°34' upper limb         | sunset         |
 * | dusk_civil        | -6°, centre, setting      | dusk           |
 * | dusk_nautical     | -12°                      | nauticalDusk   |
 * | dusk_astronomical | -18° (Celery's table says +18, a typo we do not copy) | night |
 *
 * suncalc computes in Universal Time where its formulas want Terrestrial Time, so its times come out
 * late by ΔT (about 69 s in the 2020s); we subtract it, which brings the times within seconds of
 * Celery's (ephem's) for mid latitudes.
 *
 * Where the event does not happen for a while (polar day or night), the next occurrence is searched
 * up to 400 days ahead; Celery instead re-checks after the next anti-transit.
 */
import SunCalc from 'suncalc';
import { ScheduleParseError } from '../errors.js';
import { OccurrenceSchedule } from './schedule.js';

export type SolarEvent =
  | 'dawn_astronomical' | 'dawn_nautical' | 'dawn_civil' | 'sunrise' | 'solar_noon'
  | 'sunset' | 'dusk_civil' | 'dusk_nautical' | 'dusk_astronomical';

const SUNCALC_NAMES: Record<SolarEvent, keyof SunCalc.GetTimesResult> = {
  dawn_astronomical: 'nightEnd',
  dawn_nautical: 'nauticalDawn',
  dawn_civil: 'dawn',
  sunrise: 'sunrise',
  solar_noon: 'solarNoon',
  sunset: 'sunset',
  dusk_civil: 'dusk',
  dusk_nautical: 'nauticalDusk',
  dusk_astronomical: 'night',
};

const DAY_MS = 86_400_000;
/** ΔT = TT - UT in ms (IERS: 69.2 s in 2024; it drifts by well under a second a year). */
const DELTA_T_MS = 69_000;
const SEARCH_DAYS = 400;

export class Solar extends OccurrenceSchedule {
  /**
   * @param event one of Celery's event names (see the module table).
   * @param lat latitude in degrees, -90..90 (north positive).
   * @param lon longitude in degrees, -180..180 (east positive).
   * @throws ScheduleParseError for an unknown event or a coordinate out of range (Celery's ValueError).
   */
  constructor(readonly event: SolarEvent, readonly lat: number, readonly lon: number) {
    super();
    if (!(event in SUNCALC_NAMES)) throw new ScheduleParseError(`solar: event ${JSON.stringify(event)} is invalid, must be one of ${Object.keys(SUNCALC_NAMES).sort().join(', ')}`);
    if (!(lat >= -90 && lat <= 90)) throw new ScheduleParseError(`solar: latitude ${lat} is invalid, must be between -90 and 90`);
    if (!(lon >= -180 && lon <= 180)) throw new ScheduleParseError(`solar: longitude ${lon} is invalid, must be between -180 and 180`);
  }

  /** The first occurrence of the event strictly after `after`; throws if none within 400 days. */
  nextAfter(after: Date): Date {
    const key = SUNCALC_NAMES[this.event];
    // suncalc answers for the solar day nearest the date given: look from the day before onwards.
    for (let i = -1; i < SEARCH_DAYS; i++) {
      const found = SunCalc.getTimes(new Date(after.getTime() + i * DAY_MS), this.lat, this.lon)[key];
      if (!(found instanceof Date) || Number.isNaN(found.getTime())) continue;
      const t = new Date(found.getTime() - DELTA_T_MS);
      if (t.getTime() > after.getTime()) return t;
    }
    throw new ScheduleParseError(`solar ${this.event} at ${this.lat}, ${this.lon}: no occurrence within ${SEARCH_DAYS} days`);
  }



  toString(): string {
    return `<solar: ${this.event} at latitude ${this.lat}, longitude: ${this.lon}>`;
  }
}

/** Celery `solar(event, lat, lon)`. */
export function solar(event: SolarEvent, lat: number, lon: number): Solar {
  return new Solar(event, lat, lon);
}
