/**
 * Crontab schedule with Celery's fields and meaning (`celery.schedules.crontab`):
 * - `minute` 0-59, `hour` 0-23, `day_of_week` 0-6 with **0 = Sunday** (names `sun`..`sat`),
 *   `day_of_month` 1-31, `month_of_year` 1-12; each a number, a list/set of numbers, or a pattern
 *   (`"*\/15"`, `"0,8-17/2"`, `"mon-fri"`, `"fri-mon"` wraps);
 * - a day must match `day_of_month` AND `day_of_week` AND `month_of_year` (not cron's OR);
 * - times are wall-clock times in the schedule's time zone (Celery `app.timezone`): on a DST
 *   spring-forward day a time inside the gap runs at the first instant after it (02:30 → 03:30), and on
 *   a fall-back day a wall time that occurs twice runs once, at its first occurrence.
 */
import { DateTime } from 'luxon';
import { ScheduleParseError } from '../errors.js';
import { CrontabParser } from './crontab-parser.js';
import { OccurrenceSchedule } from './schedule.js';

/** A crontab field: `"*"`, a pattern string, a number, or a list of numbers. */
export type CronField = string | number | Iterable<number>;

/** Fields of {@link Crontab}; each defaults to `"*"`. */
export interface CrontabFields {
  minute?: CronField;
  hour?: CronField;
  day_of_week?: CronField;
  day_of_month?: CronField;
  month_of_year?: CronField;
  /**
   * IANA zone the fields are read in. Default: set by the scheduler from the app (`timezone`, or UTC
   * when `enable_utc` and no `timezone`), else `"UTC"`.
   */
  timezone?: string;
}

/** Years searched ahead for a matching day before the pattern is declared impossible (e.g. Feb 30). */
const SEARCH_YEARS = 30;

function expand(field: CronField | undefined, max: number, min: number, name: string): number[] {
  let values: Set<number>;
  if (field === undefined || field === null) values = new CrontabParser(max, min).parse('*');
  else if (typeof field === 'number') values = new Set([field]);
  else if (typeof field === 'string') {
    try {
      values = new CrontabParser(max, min).parse(field);
    } catch (err) {
      throw new ScheduleParseError(`crontab ${name}=${JSON.stringify(field)}: ${(err as Error).message}`, { cause: err });
    }
  } else values = new Set(field);
  for (const n of values) {
    if (!Number.isInteger(n) || n >= max + min || n < min) {
      throw new ScheduleParseError(`crontab ${name}: invalid crontab pattern; valid range is ${min}-${max - 1 + min}, ${String(n)} was found`);
    }
  }
  return [...values].sort((a, b) => a - b);
}

export class Crontab extends OccurrenceSchedule {
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly dayOfWeek: readonly number[];
  readonly dayOfMonth: readonly number[];
  readonly monthOfYear: readonly number[];
  timezone: string;
  private readonly orig: string;
  private readonly explicitZone: boolean;

  /** @throws ScheduleParseError for a field out of range or not parseable, or an unknown zone. */
  constructor(fields: CrontabFields = {}) {
    super();
    this.minute = expand(fields.minute, 60, 0, 'minute');
    this.hour = expand(fields.hour, 24, 0, 'hour');
    this.dayOfWeek = expand(fields.day_of_week, 7, 0, 'day_of_week');
    this.dayOfMonth = expand(fields.day_of_month, 31, 1, 'day_of_month');
    this.monthOfYear = expand(fields.month_of_year, 12, 1, 'month_of_year');
    this.explicitZone = fields.timezone !== undefined;
    this.timezone = fields.timezone ?? 'UTC';
    if (!DateTime.now().setZone(this.timezone).isValid) throw new ScheduleParseError(`crontab: unknown time zone ${JSON.stringify(this.timezone)}`);
    const f = (v: CronField | undefined) => (v === undefined ? '*' : typeof v === 'object' ? [...v].join(',') : String(v));
    this.orig = `${f(fields.minute)} ${f(fields.hour)} ${f(fields.day_of_month)} ${f(fields.month_of_year)} ${f(fields.day_of_week)}`;
  }

  /** Sets the zone from the app unless the crontab was given its own. */
  useZone(zone: string): void {
    if (!this.explicitZone) this.timezone = zone;
  }

  /**
   * The first matching time strictly after `after` (minute resolution). Throws
   * {@link ScheduleParseError} when no day in the next 30 years matches (e.g. 30 February).
   */
  nextAfter(after: Date): Date {
    const start = DateTime.fromJSDate(after, { zone: this.timezone }).startOf('minute').plus({ minutes: 1 });
    let day = start.startOf('day');
    const limit = start.plus({ years: SEARCH_YEARS });
    while (day < limit) {
      if (this.matchesDay(day)) {
        const first = day.hasSame(start, 'day');
        for (const h of this.hour) {
          if (first && h < start.hour) continue;
          for (const m of this.minute) {
            if (first && h === start.hour && m < start.minute) continue;
            // Luxon moves a wall time inside a DST gap forward, and takes the earlier offset of an
            // ambiguous one; a candidate not after `after` (the repeated hour) is skipped.
            const t = this.wallTime(day, h, m);
            if (t.toMillis() > after.getTime()) return t.toJSDate();
          }
        }
      }
      day = day.plus({ days: 1 });
    }
    throw new ScheduleParseError(`crontab ${this.orig}: no matching time within ${SEARCH_YEARS} years`);
  }

  /**
   * The instant of a wall time: inside a DST gap, the first instant after it (Luxon moves it
   * forward); when it occurs twice, the first occurrence (Python's `fold=0`, as Celery reads it).
   */
  private wallTime(day: DateTime, hour: number, minute: number): DateTime {
    const t = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone: this.timezone });
    for (const shift of [60, 30]) {
      const earlier = t.minus({ minutes: shift });
      if (earlier.hour === hour && earlier.minute === minute && earlier.day === t.day) return earlier;
    }
    return t;
  }

  private matchesDay(day: DateTime): boolean {
    return this.monthOfYear.includes(day.month) && this.dayOfMonth.includes(day.day) && this.dayOfWeek.includes(day.weekday % 7);
  }



  toString(): string {
    return `<crontab: ${this.orig} (m/h/dM/MY/d)>`;
  }
}

/** Celery `crontab(minute, hour, day_of_week, day_of_month, month_of_year)`. */
export function crontab(fields: CrontabFields = {}): Crontab {
  return new Crontab(fields);
}
