/**
 * @cq/beat — periodic tasks for cq (Celery beat): interval, crontab and solar schedules, the
 * scheduler with persisted state, and a leased lock so only one beat per broker sends.
 */
export { schedule, IntervalSchedule, OccurrenceSchedule, type BaseSchedule, type ScheduleState, type IntervalOptions } from './schedules/schedule.js';
export { crontab, Crontab, type CronField, type CrontabFields } from './schedules/crontab.js';
export { CrontabParser, weekday } from './schedules/crontab-parser.js';
export { solar, Solar, type SolarEvent } from './schedules/solar.js';
export { parseDuration } from './schedules/duration.js';
export { ScheduleEntry, type EntryDefinition, type EntryOptions, type BeatScheduleSetting } from './entry.js';
export { Scheduler, DEFAULT_MAX_INTERVAL, type SchedulerOptions, type BeatLog } from './scheduler.js';
export { SqliteScheduleStore, type ScheduleStore, type EntryState } from './store.js';
export { Beat, scheduleFilename, beatLockKey, DEFAULT_LOCK_TIMEOUT, type BeatOptions } from './beat.js';
export { defaultEntries, BACKEND_CLEANUP } from './default-entries.js';
export { BEAT_DEFAULTS, beatSettings, type BeatSettings } from './settings.js';
export type { LeaseLock } from './lock/lease-lock.js';
export { RedisLeaseLock } from './lock/redis-lock.js';
export { SqliteLeaseLock } from './lock/sqlite-lock.js';
export { BeatError, ScheduleParseError, ScheduleEntryError, BeatLockError, BeatStoreError } from './errors.js';
