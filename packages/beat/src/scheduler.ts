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
 *
 * The store may answer synchronously (a SQLite file) or not (the broker's database): state is read by
 * {@link Scheduler.open} (which the first `tick()` calls; Celery `setup_schedule`), and a due entry's
 * new state is written — and the write awaited — before it is sent, so a beat restarted anywhere on
 * the same store neither repeats nor skips that run.
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
  private readonly enableUtc: boolean;
  /** Names of the configured entries (`schedule`): the ones stored state is applied to. */
  private readonly configured: ReadonlySet<string>;
  private opening: Promise<void> | null = null;
  private opened = false;
  /** Writes of add/update/remove, in order; a tick's own writes are awaited by the tick. */
  private writes: Promise<void> = Promise.resolve();

  /** @throws ScheduleEntryError for a malformed entry of `schedule`. */
  constructor(options: SchedulerOptions) {
    this.send = options.send;
    this.store = options.store ?? null;
    this.clock = options.now ?? (() => new Date());
    this.maxInterval = options.maxInterval || DEFAULT_MAX_INTERVAL;
    this.timezone = options.timezone ?? 'UTC';
    this.log = options.log ?? silent;
    this.enableUtc = options.enableUtc ?? true;
    const now = this.clock();
    for (const [name, def] of Object.entries(options.schedule ?? {})) {
      this.entriesByName.set(name, new ScheduleEntry(name, def, { lastRunAt: now }, this.timezone));
    }
    this.configured = new Set(this.entriesByName.keys());
  }

  /**
   * Reads the stored state (Celery `PersistentScheduler.setup_schedule`), once: resets it when the
   * time zone or `enable_utc` changed, gives each configured entry its stored last run and count,
   * drops the state of entries no longer configured (Celery `merge_inplace`), and writes every
   * entry's state back (Celery's `sync` at set-up). Called by the first {@link tick}; a failed open
   * rejects with the store's error and is tried again by the next call.
   */
  open(): Promise<void> {
    this.opening ??= this.load().then(() => { this.opened = true; }, (err: unknown) => {
      this.opening = null;
      throw err;
    });
    return this.opening;
  }

  private async load(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const tz = await store.getMeta('tz');
    const utc = await store.getMeta('utc_enabled');
    if ((tz !== null && tz !== this.timezone) || (utc !== null && utc !== String(this.enableUtc))) {
      this.log.warn('Reset: Timezone changed from previous run');
      await store.clear();
    }
    await store.setMeta('tz', this.timezone);
    await store.setMeta('utc_enabled', String(this.enableUtc));
    const stored = await store.load();
    for (const [name, state] of stored) {
      const entry = this.entriesByName.get(name);
      if (entry && this.configured.has(name)) {
        entry.lastRunAt = state.lastRunAt;
        entry.totalRunCount = state.totalRunCount;
      } else {
        await store.remove(name);
      }
    }
    for (const entry of this.entriesByName.values()) await store.save(entry.name, stateOf(entry));
  }

  /** The entries by name (read-only view). */
  get entries(): ReadonlyMap<string, ScheduleEntry> {
    return this.entriesByName;
  }

  /**
   * Adds an entry, or replaces one of the same name keeping its last run and count. A new entry
   * first runs one period after now. Takes effect at the next tick; its state is written in the
   * background (a failed write is logged), or by {@link open} when not open yet. Throws
   * {@link ScheduleEntryError}.
   */
  add(name: string, def: EntryDefinition): ScheduleEntry {
    const old = this.entriesByName.get(name);
    const entry = new ScheduleEntry(name, def, old ?? { lastRunAt: this.clock() }, this.timezone);
    this.entriesByName.set(name, entry);
    this.background((store) => store.save(name, stateOf(entry)));
    return entry;
  }

  /** Changes an existing entry, keeping its state (Celery `ScheduleEntry.update`). Throws if missing. */
  update(name: string, def: EntryDefinition): ScheduleEntry {
    if (!this.entriesByName.has(name)) throw new ScheduleEntryError(`no beat entry named ${JSON.stringify(name)}`);
    return this.add(name, def);
  }

  /** Removes an entry and (in the background) its stored state; false when there was none. */
  remove(name: string): boolean {
    this.background((store) => store.remove(name));
    return this.entriesByName.delete(name);
  }

  /**
   * Re-reads stored state (another beat may have run entries while this one stood by): opens the
   * scheduler the first time, then takes each newer stored run. Rejects with the store's error.
   */
  async reload(): Promise<void> {
    if (!this.opened) return this.open();
    const stored = await this.store?.load();
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
    await this.open();
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
        // A failed write undoes the reservation and ends the tick (nothing sent, nothing skipped).
        const before = stateOf(entry);
        entry.advance(now);
        try {
          await this.persist(entry);
        } catch (err) {
          entry.lastRunAt = before.lastRunAt;
          entry.totalRunCount = before.totalRunCount;
          throw err;
        }
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

  /** Resolves once the writes issued by add/update/remove so far are done (failed ones were logged). */
  flush(): Promise<void> {
    return this.writes;
  }

  /** Writes `entry`'s state after the background writes issued before it; rejects with the store's error. */
  private persist(entry: ScheduleEntry): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    const state = stateOf(entry);
    const write = this.writes.then(() => store.save(entry.name, state));
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Queues a write of add/update/remove; before {@link open} there is nothing to write (open writes all). */
  private background(op: (store: ScheduleStore) => unknown): void {
    const store = this.store;
    if (!store || !this.opened) return;
    this.writes = this.writes.then(() => op(store)).then(() => undefined, (err: unknown) => {
      this.log.error(`Scheduler: cannot write the schedule state: ${(err as Error).message}`);
    });
  }
}

/** The state to store for `entry`. */
function stateOf(entry: ScheduleEntry): EntryState {
  return { lastRunAt: entry.lastRunAt, totalRunCount: entry.totalRunCount };
}
