/**
 * The schedule contract (Celery `celery.schedules.BaseSchedule`) and the interval schedule
 * (Celery `schedule(run_every, relative)`). Times are `Date`s; durations returned are **seconds**.
 */
import { ScheduleParseError } from '../errors.js';
import { parseDuration } from './duration.js';

/** Celery `schedstate`: whether to run now, and seconds until the scheduler should check again. */
export interface ScheduleState {
  isDue: boolean;
  /** Seconds until the next check (Celery `next`), >= 0. */
  next: number;
}

/** What the scheduler needs from a schedule; a user can supply their own. */
export interface BaseSchedule {
  /**
   * Celery `is_due(last_run_at)`: `{ isDue: true, next }` means run now and check again in `next`
   * seconds; `{ isDue: false, next }` means check again in `next` seconds.
   */
  isDue(lastRunAt: Date, now: Date): ScheduleState;
  /** Celery `remaining_estimate(last_run_at)`: seconds from `now` to the next run (negative when late). */
  remainingEstimate(lastRunAt: Date, now: Date): number;
  /** A short text for logs, e.g. `<freq: 30.00 seconds>` (Celery `repr`). */
  toString(): string;
}

/**
 * A schedule of discrete occurrences (crontab, solar): it only says when the next one after a time
 * is; the estimate and Celery's `is_due` follow from that, the same for every such schedule.
 */
export abstract class OccurrenceSchedule implements BaseSchedule {
  /** The first occurrence strictly after `after`. */
  abstract nextAfter(after: Date): Date;
  abstract toString(): string;

  remainingEstimate(lastRunAt: Date, now: Date): number {
    return (this.nextAfter(lastRunAt).getTime() - now.getTime()) / 1000;
  }

  /** Celery `crontab.is_due` / `solar.is_due`: when due, `next` is the wait from `now` to the following occurrence. */
  isDue(lastRunAt: Date, now: Date): ScheduleState {
    const remaining = Math.max(this.remainingEstimate(lastRunAt, now), 0);
    if (remaining > 0) return { isDue: false, next: remaining };
    return { isDue: true, next: Math.max(this.remainingEstimate(now, now), 0) };
  }
}

/** Options of {@link IntervalSchedule}. */
export interface IntervalOptions {
  /**
   * Celery `relative`: round the next run time down to the resolution of the interval (whole days,
   * hours or minutes, for intervals of at least a day, an hour or a minute). Default false.
   */
  relative?: boolean;
}

/** Rounds a time down to the resolution of `seconds` (Celery `delta_resolution`), in UTC. */
function deltaResolution(t: Date, seconds: number): Date {
  const d = new Date(t.getTime());
  if (seconds >= 86_400) d.setUTCHours(0, 0, 0, 0);
  else if (seconds >= 3_600) d.setUTCMinutes(0, 0, 0);
  else if (seconds >= 60) d.setUTCSeconds(0, 0);
  return d;
}

/**
 * Runs every `runEvery` seconds after the last run (Celery `schedule`). The first run of a new entry
 * is one interval after the scheduler first sees it, as in Celery.
 */
export class IntervalSchedule implements BaseSchedule {
  /** The interval in seconds. */
  readonly seconds: number;
  readonly relative: boolean;

  /**
   * @param runEvery seconds (a number) or a duration: `"30s"`, `"5m"`, `"1h30m"`, `"2d"`, ISO `"PT5M"`.
   * @throws ScheduleParseError for a duration that cannot be read or is not positive.
   */
  constructor(runEvery: number | string, options: IntervalOptions = {}) {
    const seconds = typeof runEvery === 'number' ? runEvery : parseDuration(runEvery);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new ScheduleParseError(`interval schedule: expected a positive number of seconds, got ${String(runEvery)}`);
    this.seconds = seconds;
    this.relative = options.relative ?? false;
  }

  remainingEstimate(lastRunAt: Date, now: Date): number {
    let end = new Date(lastRunAt.getTime() + this.seconds * 1000);
    if (this.relative) end = deltaResolution(end, this.seconds);
    return (end.getTime() - now.getTime()) / 1000;
  }

  isDue(lastRunAt: Date, now: Date): ScheduleState {
    const remaining = Math.max(this.remainingEstimate(lastRunAt, now), 0);
    return remaining === 0 ? { isDue: true, next: this.seconds } : { isDue: false, next: remaining };
  }

  toString(): string {
    return `<freq: ${this.seconds.toFixed(2)} seconds>`;
  }
}

/** Celery `schedule(run_every, relative)`. */
export function schedule(runEvery: number | string, options: IntervalOptions = {}): IntervalSchedule {
  return new IntervalSchedule(runEvery, options);
}
