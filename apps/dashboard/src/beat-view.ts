/**
 * The beat page's data as `GET /api/ui/beat` sends it (`beat-schedule.ts` builds it). Types only,
 * importing nothing, so that the UI (ui/api.ts) uses the same declarations with `import type`.
 * Times are Unix seconds.
 */

/** One entry as the beat page lists it. */
export interface BeatEntryView {
  name: string;
  /** Task name; null for an entry known only from the state. */
  task: string | null;
  /** The schedule as Celery prints it (`<freq: 30.00 seconds>`, `<crontab: 0 9 * * mon-fri (m/h/dM/MY/d)>`). */
  schedule: string | null;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  /** Last run (s), from the state; null when none is recorded. */
  last_run_at: number | null;
  /** Next run (s); null when unknown. In the past when beat is late or not running. */
  next_run_at: number | null;
  total_run_count: number | null;
  /** Why the entry cannot be read (a malformed `beat_schedule` value), else null. */
  error: string | null;
}

export interface BeatScheduleView {
  /** Whether the app has a `beat_schedule` with entries. */
  configured: boolean;
  /** Where the state was read: `file` (`where` = the path), `broker` (`where` = the scope), or `none`. */
  state: { kind: 'file' | 'broker' | 'none'; where: string | null; error: string | null };
  /** The zone crontab entries are read in (`timezone`, else UTC with `enable_utc`, else local). */
  timezone: string;
  entries: BeatEntryView[];
}
