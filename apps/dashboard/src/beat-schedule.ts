/**
 * What the beat page shows: the app's `beat_schedule` (the dashboard started with `-A app` has it)
 * joined with the state cq beat keeps (per entry the last run and the run count), read — never
 * written — from where `cq beat` keeps it for the same app:
 *
 * 1. the SQLite file given to the dashboard (`beatScheduleFilename`, `--beat-schedule-filename`),
 *    else the app's `beat_schedule_filename` (`cq beat -s`);
 * 2. else the broker's own store when its transport offers one (@cq/kombu `ScheduleStoreProvider`:
 *    PostgreSQL), under the app's beat lock key (`beat_lock_key`);
 * 3. else beat's default file, `beat.db` beside the embedded SQLite broker or `.cq/beat.db` — a path
 *    relative to the working directory, so the dashboard must run where beat runs (or be given the
 *    file).
 *
 * A file that does not exist is not created. Entries found in the state but not in `beat_schedule`
 * (a dashboard without `-A`) are listed with their runs and no schedule. Python Celery beat keeps
 * its state in a `shelve` file (`celerybeat-schedule`) that only Python can read: for a Python beat
 * the page shows the configured schedule only.
 *
 * Times are Unix seconds. `next_run_at` is the last run plus the schedule's estimate (Celery
 * `remaining_estimate`); without a recorded run it is unknown (null), since an entry first runs one
 * period after beat first sees it.
 */
import { existsSync } from 'node:fs';
import {
  beatLockKey, beatSettings, isScheduleStoreProvider, scheduleFilename, ScheduleEntry, SqliteScheduleStore, type Celery,
  type ScheduleStore,
} from '@cq/celery';
import type { BeatEntryView, BeatScheduleView } from './beat-view.js';

export type { BeatEntryView, BeatScheduleView } from './beat-view.js';

type Runs = Map<string, { lastRunAt: Date; totalRunCount: number }>;

/** Reads the state from the file or the broker (see the module doc). Never throws: a failure is in `state.error`. */
async function readState(app: Celery, file: string | null): Promise<{ runs: Runs; state: BeatScheduleView['state'] }> {
  const fromFile = async (path: string): Promise<{ runs: Runs; state: BeatScheduleView['state'] }> => {
    if (!existsSync(path)) return { runs: new Map(), state: { kind: 'none', where: path, error: `no beat state file ${path}` } };
    const store = new SqliteScheduleStore(path);
    try {
      return { runs: store.load(), state: { kind: 'file', where: path, error: null } };
    } finally {
      store.close();
    }
  };
  const given = file ?? beatSettings(app.conf).beat_schedule_filename;
  try {
    if (given) return await fromFile(given);
    const connection = app.connection();
    try {
      await connection.connect();
      const transport = connection.transport;
      if (isScheduleStoreProvider(transport)) {
        const scope = beatLockKey(app);
        const store: ScheduleStore = transport.scheduleStore(scope);
        try {
          return { runs: await store.load(), state: { kind: 'broker', where: scope, error: null } };
        } finally {
          await store.close();
        }
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
    return await fromFile(scheduleFilename(app));
  } catch (err) {
    return { runs: new Map(), state: { kind: 'none', where: given ?? null, error: (err as Error).message } };
  }
}

/** The beat schedule of `app` with its recorded runs, as of `now`. */
export async function readBeatSchedule(app: Celery, options: { file?: string | null; now?: Date } = {}): Promise<BeatScheduleView> {
  const now = options.now ?? new Date();
  const conf = app.conf;
  const timezone = conf.timezone || (conf.enable_utc ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone);
  const schedule = beatSettings(conf).beat_schedule;
  const { runs, state } = await readState(app, options.file ?? null);
  const seconds = (d: Date): number => d.getTime() / 1000;
  const entries: BeatEntryView[] = [];
  for (const [name, def] of Object.entries(schedule)) {
    const run = runs.get(name);
    try {
      const entry = new ScheduleEntry(name, def, run ?? { lastRunAt: now }, timezone);
      entries.push({
        name, task: entry.task, schedule: entry.schedule.toString(), args: entry.args, kwargs: entry.kwargs, options: { ...entry.options },
        last_run_at: run ? seconds(run.lastRunAt) : null,
        next_run_at: run ? seconds(now) + entry.schedule.remainingEstimate(run.lastRunAt, now) : null,
        total_run_count: run ? run.totalRunCount : null, error: null,
      });
    } catch (err) {
      entries.push({
        name, task: typeof def?.task === 'string' ? def.task : null, schedule: null, args: [], kwargs: {}, options: {},
        last_run_at: run ? seconds(run.lastRunAt) : null, next_run_at: null, total_run_count: run?.totalRunCount ?? null, error: (err as Error).message,
      });
    }
  }
  for (const [name, run] of runs) {
    if (name in schedule) continue;
    entries.push({
      name, task: null, schedule: null, args: [], kwargs: {}, options: {}, last_run_at: seconds(run.lastRunAt), next_run_at: null,
      total_run_count: run.totalRunCount, error: null,
    });
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  return { configured: Object.keys(schedule).length > 0, state, timezone, entries };
}
