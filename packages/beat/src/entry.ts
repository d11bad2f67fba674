/**
 * A periodic task entry (Celery `celery.beat.ScheduleEntry`) and reading `beat_schedule`, whose
 * shape is Celery's: `{ name: { task, schedule, args, kwargs, options, relative } }`.
 */
import type { ApplyOptions } from '@cq/app';
import { ScheduleEntryError } from './errors.js';
import { Crontab } from './schedules/crontab.js';
import { IntervalSchedule, type BaseSchedule, type ScheduleState } from './schedules/schedule.js';

/**
 * Apply options of an entry, by Celery's names (`apply_async` keywords): `queue`, `exchange`,
 * `routing_key`, `priority`, `expires` (seconds from sending, or a date), `headers`, `serializer`,
 * `compression`, `time_limit`, `soft_time_limit`, `ignore_result`.
 */
export interface EntryOptions {
  queue?: string;
  exchange?: string;
  routing_key?: string;
  priority?: number;
  expires?: number | string | Date;
  headers?: Record<string, unknown>;
  serializer?: string;
  compression?: string | null;
  time_limit?: number;
  soft_time_limit?: number;
  ignore_result?: boolean;
}

/** One value of `beat_schedule` (Celery's dict shape). */
export interface EntryDefinition {
  /** Task name, sent by name; it need not be registered in this process. */
  task: string;
  /** Seconds, a duration (`"5m"`, `"PT1H"`), or a schedule (`crontab(...)`, `solar(...)`, `schedule(...)`). */
  schedule: number | string | BaseSchedule;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  options?: EntryOptions;
  /** For number/duration schedules: Celery `relative` (round to the interval's resolution). Default false. */
  relative?: boolean;
}

/** Celery `beat_schedule`. */
export type BeatScheduleSetting = Record<string, EntryDefinition>;

export class ScheduleEntry {
  readonly name: string;
  readonly task: string;
  readonly schedule: BaseSchedule;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly options: EntryOptions;
  /** When it last ran (or when it was first seen: a new entry waits one period, as in Celery). */
  lastRunAt: Date;
  /** Runs so far (Celery `total_run_count`). */
  totalRunCount: number;

  /**
   * @param zone IANA zone given to crontab schedules without their own (the app's `timezone`).
   * @throws ScheduleEntryError for a missing task or schedule, or a schedule that cannot be read.
   */
  constructor(name: string, def: EntryDefinition, state: { lastRunAt: Date; totalRunCount?: number }, zone = 'UTC') {
    if (!def || typeof def.task !== 'string' || def.task === '') throw new ScheduleEntryError(`beat_schedule[${JSON.stringify(name)}]: needs a task name, e.g. { task: 'proj.add', schedule: 30 }`);
    if (def.schedule === undefined || def.schedule === null) throw new ScheduleEntryError(`beat_schedule[${JSON.stringify(name)}]: needs a schedule (seconds, a duration, crontab() or solar())`);
    this.name = name;
    this.task = def.task;
    this.schedule = toSchedule(name, def);
    if (this.schedule instanceof Crontab) this.schedule.useZone(zone);
    this.args = def.args ?? [];
    this.kwargs = def.kwargs ?? {};
    this.options = def.options ?? {};
    this.lastRunAt = state.lastRunAt;
    this.totalRunCount = state.totalRunCount ?? 0;
  }

  /** Celery `ScheduleEntry.is_due()`. */
  isDue(now: Date): ScheduleState {
    return this.schedule.isDue(this.lastRunAt, now);
  }

  /** Marks a run at `now` (Celery `_next_instance`). */
  advance(now: Date): void {
    this.lastRunAt = now;
    this.totalRunCount += 1;
  }

  /** The entry's options as `app.sendTask` options, with `args`/`kwargs`. */
  applyOptions(): ApplyOptions {
    const o = this.options;
    const out: ApplyOptions = { kwargs: this.kwargs };
    if (o.queue !== undefined) out.queue = o.queue;
    if (o.exchange !== undefined) out.exchange = o.exchange;
    if (o.routing_key !== undefined) out.routingKey = o.routing_key;
    if (o.priority !== undefined) out.priority = o.priority;
    if (o.expires !== undefined) out.expires = o.expires;
    if (o.headers !== undefined) out.headers = o.headers;
    if (o.serializer !== undefined) out.serializer = o.serializer;
    if (o.compression !== undefined) out.compression = o.compression;
    if (o.time_limit !== undefined) out.timeLimit = o.time_limit;
    if (o.soft_time_limit !== undefined) out.softTimeLimit = o.soft_time_limit;
    if (o.ignore_result !== undefined) out.ignoreResult = o.ignore_result;
    return out;
  }

  toString(): string {
    return `<ScheduleEntry: ${this.name} ${this.task}(${this.args.map((a) => JSON.stringify(a)).join(', ')}) ${String(this.schedule)}>`;
  }
}

function toSchedule(name: string, def: EntryDefinition): BaseSchedule {
  const s = def.schedule;
  try {
    if (typeof s === 'number' || typeof s === 'string') return new IntervalSchedule(s, { relative: def.relative ?? false });
  } catch (err) {
    throw new ScheduleEntryError(`beat_schedule[${JSON.stringify(name)}]: ${(err as Error).message}`, { cause: err });
  }
  if (typeof s === 'object' && typeof s.isDue === 'function') return s;
  throw new ScheduleEntryError(`beat_schedule[${JSON.stringify(name)}]: schedule must be seconds, a duration, or a schedule object; got ${String(s)}`);
}
