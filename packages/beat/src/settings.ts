/**
 * The beat settings, by Celery's names and with its defaults (`celery/app/defaults.py`, the `beat`
 * namespace) plus cq's lock settings, read from `app.conf` through {@link beatSettings}. Durations are
 * in seconds, as in Celery. The `declare module` below adds them to `CelerySettings` (type only:
 * importing this package changes nothing at runtime), so `new Celery('proj', { beat_schedule: {...} })`
 * type-checks wherever @cq/beat is part of the program.
 */
import { settingsSlice, type CelerySettings } from '@cq/app';
import type { BeatScheduleSetting } from './entry.js';

export interface BeatSettings {
  /** The periodic tasks, by entry name (Celery `beat_schedule`). Default `{}`. */
  beat_schedule: BeatScheduleSetting;
  /**
   * Longest sleep between checks of the schedule, seconds (Celery `beat_max_loop_interval`). Default 0:
   * the scheduler's own, 300 s.
   */
  beat_max_loop_interval: number;
  /**
   * SQLite file of the schedule state (Celery `beat_schedule_filename`, `-s`). Default null: `beat.db`
   * beside the embedded SQLite broker's file, else `.cq/beat.db` (Celery: `celerybeat-schedule`).
   */
  beat_schedule_filename: string | null;
  /**
   * cq: lease of the beat lock, seconds. The lock is renewed every third of it, and a standby beat takes
   * over at most one lease after the active one died. Default 30.
   */
  beat_lock_timeout: number;
  /** cq: Redis key of the beat lock (when the broker is Redis). Default null: `cq.beat.lock.<app main>`. */
  beat_lock_key: string | null;
}

declare module '@cq/app' {
  // The beat slice of Celery's settings: optional in `app.conf` (present only when configured).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the slice's members
  interface CelerySettings extends Partial<BeatSettings> {}
}

/** Celery's defaults of the beat settings (and cq's for the lock). */
export const BEAT_DEFAULTS: Readonly<BeatSettings> = Object.freeze({
  beat_schedule: Object.freeze({}),
  beat_max_loop_interval: 0,
  beat_schedule_filename: null,
  beat_lock_timeout: 30,
  beat_lock_key: null,
});

/** The beat settings in effect for `conf`: each configured value, else its default. */
export function beatSettings(conf: CelerySettings): BeatSettings {
  return settingsSlice<BeatSettings>(conf, BEAT_DEFAULTS);
}
