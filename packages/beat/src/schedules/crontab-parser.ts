/**
 * Expands one crontab field to the set of numbers it matches, with Celery's grammar and rules
 * (`celery.schedules.crontab_parser`):
 *
 * ```
 * number  :: digit+ | name          (names are weekdays: sun..sat, sunday..saturday, by 3 letters)
 * range   :: number ( '-' number )?  (a range whose end is below its start wraps around: fri-mon)
 * numspec :: '*' | range
 * expr    :: numspec ( '/' steps )?
 * groups  :: expr ( ',' expr )*
 * ```
 */
import { ScheduleParseError } from '../errors.js';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Celery `weekday(name)`: 0 = Sunday … 6 = Saturday; the first three letters decide. */
export function weekday(name: string): number {
  const i = WEEKDAYS.indexOf(name.slice(0, 3).toLowerCase());
  if (i < 0) throw new ScheduleParseError(`invalid weekday literal ${JSON.stringify(name)}`);
  return i;
}

export class CrontabParser {
  /**
   * @param max the number of values (60 minutes, 24 hours, 7 weekdays, 31 days, 12 months).
   * @param min the first value (0, or 1 for day of month and month of year).
   */
  constructor(readonly max = 60, readonly min = 0) {}

  /** Expands `spec` (e.g. `"*\/15"`, `"1,13,30-45,50-59/2"`, `"mon-fri"`); throws {@link ScheduleParseError}. */
  parse(spec: string): Set<number> {
    const acc = new Set<number>();
    for (const part of spec.split(',')) {
      if (!part) throw new ScheduleParseError(`crontab field ${JSON.stringify(spec)}: empty part`);
      for (const n of this.parsePart(part.trim())) acc.add(n);
    }
    return acc;
  }

  private parsePart(part: string): number[] {
    let m = /^(\w+?)-(\w+)\/(\w+)?$/.exec(part);
    if (m) return every(this.expandRange(m[1]!, m[2]!), this.step(m[3], part));
    m = /^(\w+?)-(\w+)$/.exec(part);
    if (m) return this.expandRange(m[1]!, m[2]!);
    m = /^\*\/(\w+)?$/.exec(part);
    if (m) return every(this.expandStar(), this.step(m[1], part));
    if (part === '*') return this.expandStar();
    // Like Celery, a number with steps (`5/15`) is not a pattern: it fails as a number.
    return [this.expandNumber(part)];
  }

  private step(text: string | undefined, part: string): number {
    if (!text) throw new ScheduleParseError(`crontab field part ${JSON.stringify(part)}: empty filter`);
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new ScheduleParseError(`crontab field part ${JSON.stringify(part)}: step must be a whole number >= 1`);
    return n;
  }

  private expandStar(): number[] {
    return range(this.min, this.max + this.min);
  }

  private expandRange(fromText: string, toText: string): number[] {
    const from = this.expandNumber(fromText);
    const to = this.expandNumber(toText);
    if (to < from) return [...range(from, this.min + this.max), ...range(this.min, to + 1)];
    return range(from, to + 1);
  }

  private expandNumber(text: string): number {
    if (text.startsWith('-')) throw new ScheduleParseError('negative numbers not supported');
    const i = /^\d+$/.test(text) ? Number(text) : weekday(text);
    const maxValue = this.min + this.max - 1;
    if (i > maxValue) throw new ScheduleParseError(`invalid end range: ${i} > ${maxValue}`);
    if (i < this.min) throw new ScheduleParseError(`invalid beginning range: ${i} < ${this.min}`);
    return i;
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function every(values: number[], step: number): number[] {
  return values.filter((_, i) => i % step === 0);
}
