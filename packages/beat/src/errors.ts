/**
 * Errors raised by @cq/beat, each with a stable `code` and its `cause`.
 *
 * ```
 * BeatError                   CQ_BEAT
 * ├── ScheduleParseError      CQ_BEAT_SCHEDULE_PARSE   a crontab field, duration or solar event cannot be read
 * │                                                    (Celery `ParseException` / `ValueError`)
 * ├── ScheduleEntryError      CQ_BEAT_ENTRY            a `beat_schedule` entry has the wrong shape
 * ├── BeatLockError           CQ_BEAT_LOCK             the lease store (Redis, SQLite, PostgreSQL) failed
 * └── BeatStoreError          CQ_BEAT_STORE            the broker keeping the schedule state cannot be reached
 * ```
 */
export class BeatError extends Error {
  readonly code: string = 'CQ_BEAT';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A schedule's text cannot be parsed or is out of range (Celery `crontab_parser.ParseException`). */
export class ScheduleParseError extends BeatError {
  override readonly code = 'CQ_BEAT_SCHEDULE_PARSE';
}

/** An entry of `beat_schedule` (or given to `Scheduler.add`) is malformed. */
export class ScheduleEntryError extends BeatError {
  override readonly code = 'CQ_BEAT_ENTRY';
}

/** The store holding the beat lock failed (not: the lock is held by another beat, which is normal). */
export class BeatLockError extends BeatError {
  override readonly code = 'CQ_BEAT_LOCK';
}

/** The broker that keeps beat's schedule state (PostgreSQL) cannot be reached; beat retries. */
export class BeatStoreError extends BeatError {
  override readonly code = 'CQ_BEAT_STORE';
}
