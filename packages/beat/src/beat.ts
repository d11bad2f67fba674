/**
 * The beat service (Celery `celery.beat.Service`): runs the scheduler's ticks while holding the beat
 * lock, and stands by while another beat holds it.
 *
 * Settings read from the app (Celery's names, seconds):
 * - `beat_schedule` — the entries (see {@link BeatScheduleSetting});
 * - `beat_max_loop_interval` — longest sleep between ticks; 0 (default) = 300 s;
 * - `beat_schedule_filename` — SQLite file of the state; default `beat.db` beside the embedded
 *   SQLite broker's file, else `.cq/beat.db`;
 * - `timezone`, `enable_utc` — the zone crontabs are read in;
 * - `beat_lock_timeout` (cq) — the lease of the beat lock, default 30 s; the lock is renewed every
 *   third of it, and a standby beat takes over at most one lease after the active one died;
 * - `beat_lock_key` (cq) — the Redis key of the lock, default `cq.beat.lock.<app main>`.
 *
 * The lock lives in Redis when the broker is Redis, else in the SQLite state file.
 */
import path from 'node:path';
import type { Celery } from '@cq/app';
import type { BeatScheduleSetting, ScheduleEntry } from './entry.js';
import type { LeaseLock } from './lock/lease-lock.js';
import { RedisLeaseLock } from './lock/redis-lock.js';
import { SqliteLeaseLock } from './lock/sqlite-lock.js';
import { Scheduler, type BeatLog } from './scheduler.js';
import { SqliteScheduleStore, type ScheduleStore } from './store.js';

/** Default lease of the beat lock, seconds (`beat_lock_timeout`). */
export const DEFAULT_LOCK_TIMEOUT = 30;

export interface BeatOptions {
  /** State store. Default: a {@link SqliteScheduleStore} at the file described in the module doc. */
  store?: ScheduleStore;
  /** The lock; `null` runs without one (a single beat). Default: chosen by the broker URL. */
  lock?: LeaseLock | null;
  /** Lease in seconds. Default `beat_lock_timeout` or 30. */
  lockTimeout?: number;
  /** Longest sleep, seconds. Default `beat_max_loop_interval` or 300. */
  maxInterval?: number;
  /** Default: the app's logger. */
  log?: BeatLog;
  /** Sends an entry. Default `app.sendTask(entry.task, entry.args, entry.applyOptions())`. */
  send?: (entry: ScheduleEntry) => Promise<unknown>;
}

/** Path of the SQLite state file for the app (see the module doc). */
export function scheduleFilename(app: Celery): string {
  const configured = app.conf['beat_schedule_filename'];
  if (typeof configured === 'string' && configured) return configured;
  const broker = app.broker.url;
  const m = /^(?:sqla\+)?sqlite:\/\/\/(.+)$/.exec(broker);
  if (m) return path.join(path.dirname(m[1]!.split('?')[0]!), 'beat.db');
  return '.cq/beat.db';
}

export class Beat {
  readonly scheduler: Scheduler;
  readonly lockTimeout: number;
  private readonly store: ScheduleStore;
  private readonly lock: LeaseLock | null;
  private readonly log: BeatLog;
  private running = false;
  private active = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(private readonly app: Celery, options: BeatOptions = {}) {
    const conf = app.conf;
    this.log = options.log ?? app.log;
    const file = scheduleFilename(app);
    this.store = options.store ?? new SqliteScheduleStore(file);
    this.lockTimeout = options.lockTimeout ?? (Number(conf['beat_lock_timeout']) || DEFAULT_LOCK_TIMEOUT);
    const zone = conf.timezone || (conf.enable_utc ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone);
    this.scheduler = new Scheduler({
      send: options.send ?? ((entry) => app.sendTask(entry.task, entry.args, entry.applyOptions())),
      schedule: (conf['beat_schedule'] as BeatScheduleSetting | undefined) ?? {},
      store: this.store,
      maxInterval: options.maxInterval ?? (Number(conf['beat_max_loop_interval']) || undefined) ?? 0,
      timezone: zone,
      enableUtc: conf.enable_utc,
      log: this.log,
    });
    if (options.lock !== undefined) this.lock = options.lock;
    else if (/^rediss?:/.test(app.broker.url)) this.lock = new RedisLeaseLock(app.broker.url, String(conf['beat_lock_key'] ?? `cq.beat.lock.${app.main}`));
    else if (this.store instanceof SqliteScheduleStore) this.lock = new SqliteLeaseLock(this.store.db);
    else this.lock = null;
  }

  /** True while this beat holds the lock and sends. */
  get isActive(): boolean {
    return this.active;
  }

  /**
   * Runs until {@link stop}: takes or renews the lock, ticks while holding it, sleeps. Resolves when
   * stopped. Errors of the lock store are logged and retried, not thrown.
   */
  run(): Promise<void> {
    if (this.done) return this.done;
    this.running = true;
    this.done = this.loop();
    return this.done;
  }

  private async loop(): Promise<void> {
    const leaseMs = this.lockTimeout * 1000;
    const renewEvery = this.lockTimeout / 3;
    this.log.info(`beat: Starting... (max interval ${this.scheduler.maxInterval}s, lock lease ${this.lockTimeout}s)`);
    let announcedStandby = false;
    while (this.running) {
      let wait = renewEvery;
      try {
        const since = Date.now();
        const held = this.lock ? await this.lock.acquire(leaseMs) : true;
        if (held && !this.active) {
          this.active = true;
          announcedStandby = false;
          this.scheduler.reload();
          this.log.info('beat: holding the beat lock: this beat sends the periodic tasks');
        } else if (!held && (this.active || !announcedStandby)) {
          this.active = false;
          announcedStandby = true;
          this.log.info('beat: another beat holds the beat lock: standing by');
        }
        // Send only while the lease surely lasts (a renewal must come before a third of it is left).
        if (held && this.running) wait = await this.scheduler.tick(() => this.running && Date.now() - since < (leaseMs * 2) / 3);
      } catch (err) {
        // Without a renewal the lease may lapse: stop sending until the lock is confirmed again.
        this.active = false;
        this.log.error(`beat: ${(err as Error).message}`);
      }
      if (this.running) await this.sleep(Math.min(wait, this.lock ? renewEvery : wait) * 1000);
    }
    this.active = false;
    await this.lock?.release();
    await this.lock?.close();
    this.store.close();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Stops the loop, releases the lock (a standby beat takes over at once) and closes the store. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.done;
  }
}
