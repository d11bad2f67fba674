/**
 * The scheduler (Celery `celery.beat.Scheduler` / `PersistentScheduler`): holds the entries, sends
 * the due ones on each {@link Scheduler.tick}, and keeps their state in a {@link ScheduleStore}.
 *
 * As in Celery:
 * - a new entry counts as having run when first seen, so it first runs one period later;
 * - an entry whose runs were missed while beat was down runs **once** at start-up, not once per
 *   missed slot, and then follows its schedule from that run;
 * - changing an entry keeps its last run time and run count (Celery `ScheduleEntry.update`);
 * - when the time zone or `enable_utc` changed since the state was written, the state is reset;
 * - `tick()` returns the seconds to sleep, at most `maxInterval` (`beat_max_loop_interval`, 300 s).
 */
import { ScheduleEntry, type BeatScheduleSetting, type EntryDefinition } from './entry.js';
import { ScheduleEntryError } from './errors.js';
import type { EntryState, ScheduleStore } from './store.js';

/** Celery's default `max_interval` in seconds (`beat_max_loop_interval` = 0 means this). */
export const DEFAULT_MAX_INTERVAL = 300;

/** The log methods the scheduler uses (a pino logger fits). */
export interface BeatLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export interface SchedulerOptions {
  /** Sends one due entry; by default the Beat service calls `app.sendTask(task, args, options)`. */
  send: (entry: ScheduleEntry) => Promise<unknown>;
  /** Initial entries (Celery `beat_schedule`). Default none. */
  schedule?: BeatScheduleSetting;
  /** Where state persists; default none (in memory only). */
  store?: ScheduleStore | null;
  /** The clock. Default `() => new Date()`. */
  now?: () => Date;
  /** Longest sleep between ticks, seconds (`beat_max_loop_interval`). Default 300. */
  maxInterval?: number;
  /** IANA zone crontabs are read in (`timezone`). Default 'UTC'. */
  timezone?: string;
  /** Celery `enable_utc`; stored beside the state to detect a change. Default true. */
  enableUtc?: boolean;
  log?: BeatLog;
}

const silent: BeatLog = { info() {}, warn() {}, error() {}, debug() {} };

export class Scheduler {
  readonly maxInterval: number;
  readonly timezone: string;
  private readonly entriesByName = new Map<string, ScheduleEntry>();
  private readonly send: (entry: ScheduleEntry) => Promise<unknown>;
  private readonly store: ScheduleStore | null;
  private readonly clock: () => Date;
  private readonly log: BeatLog;

  /** @throws ScheduleEntryError for a malformed entry of `schedule`. */
  constructor(options: SchedulerOptions) {
    this.send = options.send;
    this.store = options.store ?? null;
    this.clock = options.now ?? (() => new Date());
    this.maxInterval = options.maxInterval || DEFAULT_MAX_INTERVAL;
    this.timezone = options.timezone ?? 'UTC';
    this.log = options.log ?? silent;
    this.checkZone(options.enableUtc ?? true);
    const stored = this.store?.load() ?? new Map<string, EntryState>();
    const now = this.clock();
    for (const [name, def] of Object.entries(options.schedule ?? {})) {
      this.entriesByName.set(name, new ScheduleEntry(name, def, stored.get(name) ?? { lastRunAt: now }, this.timezone));
    }
    // Celery's merge_inplace: state of entries no longer configured is dropped.
    for (const name of stored.keys()) if (!this.entriesByName.has(name)) this.store?.remove(name);
  }

  private checkZone(enableUtc: boolean): void {
    if (!this.store) return;
    const tz = this.store.getMeta('tz');
    const utc = this.store.getMeta('utc_enabled');
    if ((tz !== null && tz !== this.timezone) || (utc !== null && utc !== String(enableUtc))) {
      this.log.warn('Reset: Timezone changed from previous run');
      this.store.clear();
    }
    this.store.setMeta('tz', this.timezone);
    this.store.setMeta('utc_enabled', String(enableUtc));
  }

  /** The entries by name (read-only view). */
  get entries(): ReadonlyMap<string, ScheduleEntry> {
    return this.entriesByName;
  }

  /**
   * Adds an entry, or replaces one of the same name keeping its last run and count. A new entry
   * first runs one period after now. Takes effect at the next tick. Throws {@link ScheduleEntryError}.
   */
  add(name: string, def: EntryDefinition): ScheduleEntry {
    const old = this.entriesByName.get(name);
    const entry = new ScheduleEntry(name, def, old ?? { lastRunAt: this.clock() }, this.timezone);
    this.entriesByName.set(name, entry);
    this.persist(entry);
    return entry;
  }

  /** Changes an existing entry, keeping its state (Celery `ScheduleEntry.update`). Throws if missing. */
  update(name: string, def: EntryDefinition): ScheduleEntry {
    if (!this.entriesByName.has(name)) throw new ScheduleEntryError(`no beat entry named ${JSON.stringify(name)}`);
    return this.add(name, def);
  }

  /** Removes an entry and its stored state; false when there was none. */
  remove(name: string): boolean {
    this.store?.remove(name);
    return this.entriesByName.delete(name);
  }

  /** Re-reads stored state (another beat may have run entries while this one stood by). */
  reload(): void {
    const stored = this.store?.load();
    if (!stored) return;
    for (const [name, entry] of this.entriesByName) {
      const s = stored.get(name);
      if (s && s.lastRunAt.getTime() > entry.lastRunAt.getTime()) {
        entry.lastRunAt = s.lastRunAt;
        entry.totalRunCount = s.totalRunCount;
      }
    }
  }

  /**
   * Sends every due entry and returns the seconds until the next check, at most `maxInterval`
   * (Celery `Scheduler.tick`). `mayRun` is asked before each send; when it says no (the beat lock's
   * lease is about to end) the tick stops and returns 0.
   */
  async tick(mayRun: () => boolean = () => true): Promise<number> {
    let next = this.maxInterval;
    for (const entry of [...this.entriesByName.values()]) {
      const now = this.clock();
      let state;
      try {
        state = entry.isDue(now);
      } catch (err) {
        this.log.error(`Scheduler: cannot compute the next run of ${entry.name}: ${(err as Error).message}`);
        continue;
      }
      if (state.isDue) {
        if (!mayRun()) return 0;
        // Celery reserves (advances) the entry before sending: a failed send is not retried at once.
        entry.advance(now);
        this.persist(entry);
        this.log.info(`Scheduler: Sending due task ${entry.name} (${entry.task})`);
        try {
          await this.send(entry);
        } catch (err) {
          this.log.error(`Message Error: Couldn't apply scheduled task ${entry.name}: ${(err as Error).message}`);
        }
      }
      next = Math.min(next, state.next);
    }
    return Math.max(next, 0);
  }

  private persist(entry: ScheduleEntry): void {
    this.store?.save(entry.name, { lastRunAt: entry.lastRunAt, totalRunCount: entry.totalRunCount });
  }
}
