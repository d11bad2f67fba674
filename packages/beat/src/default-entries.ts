/**
 * The entries beat adds by itself (Celery `Scheduler.install_default_entries`): when results expire
 * (`result_expires` set) and the result backend does not drop them itself (`supportsAutoexpire`
 * false: the database backends), `celery.backend_cleanup` runs daily at 4:00 in the beat's zone
 * (`crontab('0', '4', '*')`), each message expiring after 12 hours. An entry of that name in
 * `beat_schedule` wins.
 */
import type { BeatScheduleSetting } from './entry.js';
import { crontab } from './schedules/crontab.js';

/** The name, and task, of the built-in cleanup entry. */
export const BACKEND_CLEANUP = 'celery.backend_cleanup';

/**
 * The default entries for an app whose results expire after `resultExpires` seconds (null/0: never)
 * in `backend` (null: results disabled).
 */
export function defaultEntries(resultExpires: number | null | undefined, backend: { readonly supportsAutoexpire: boolean } | null): BeatScheduleSetting {
  if (!resultExpires || !backend || backend.supportsAutoexpire) return {};
  return {
    [BACKEND_CLEANUP]: { task: BACKEND_CLEANUP, schedule: crontab({ minute: '0', hour: '4', day_of_week: '*' }), options: { expires: 12 * 3600 } },
  };
}
