/**
 * The beat service (Celery `celery.beat.Service`): runs the scheduler's ticks while holding the beat
 * lock, and stands by while another beat holds it.
 *
 * Settings read from the app (Celery's names, seconds):
 * - `beat_schedule` — the entries (see {@link BeatScheduleSetting});
 * - `beat_max_loop_interval` — longest sleep between ticks; 0 (default) = 300 s;
 * - `beat_schedule_filename` — SQLite file of the state. When unset, the state is kept in the broker
 *   if its transport offers a store (PostgreSQL: rows in its database, shared by every beat of the same
 *   lock key), else in `beat.db` beside the embedded SQLite broker's file, else `.cq/beat.db`;
 * - `timezone`, `enable_utc` — the zone crontabs are read in;
 * - `beat_lock_timeout` (cq) — the lease of the beat lock, default 30 s; the lock is renewed every
 *   third of it, and a standby beat takes over at most one lease after the active one died;
 * - `beat_lock_key` (cq) — the name of the lock in the broker, default `cq.beat.lock.<app main>`.
 *
 * The lock is the one the broker's transport offers (@cq/kombu `LeaseLockProvider`: Redis, SQLite,
 * PostgreSQL), else one in the SQLite state file, else none (see `lock/broker-lock.ts`). Lock and
 * state share one broker connection (`broker-link.ts`). On PostgreSQL both live in the database, so
 * beat can move between machines without losing its state.
 */
import path from 'node:path';
import type { Celery } from '@cq/app';
import { AuthenticationError, TlsError } from '@cq/kombu';
import type { ScheduleEntry } from './entry.js';
import type { LeaseLock } from './lock/lease-lock.js';
import { BrokerLink } from './broker-link.js';
import { BrokerScheduleStore } from './broker-store.js';
import { BrokerLeaseLock } from './lock/broker-lock.js';
import { SqliteLeaseLock } from './lock/sqlite-lock.js';
import { defaultEntries } from './default-entries.js';
import { Scheduler, type BeatLog } from './scheduler.js';
import { BEAT_DEFAULTS, beatSettings } from './settings.js';
import { SqliteScheduleStore, type ScheduleStore } from './store.js';

/** Default lease of the beat lock, seconds (`beat_lock_timeout`). */
export const DEFAULT_LOCK_TIMEOUT = BEAT_DEFAULTS.beat_lock_timeout;

export interface BeatOptions {
  /** State store. Default: the broker's, else a {@link SqliteScheduleStore} (see the module doc). */
  store?: ScheduleStore;
  /** The lock; `null` runs without one (a single beat). Default: the broker's, else the state file's. */
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

/**
 * The name of the app's beat lock and of the state kept in the broker (`beat_lock_key`, default
 * `cq.beat.lock.<app main>`): the beats sharing it share one lock and one state.
 */
export function beatLockKey(app: Celery): string {
  return beatSettings(app.conf).beat_lock_key ?? `cq.beat.lock.${app.main}`;
}

/** Path of the SQLite state file for the app (see the module doc). */
export function scheduleFilename(app: Celery): string {
  const configured = beatSettings(app.conf).beat_schedule_filename;
  if (configured) return configured;
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
  /** The SQLite state file, once opened (as the store, the store's fallback, or the lock's). */
  private localStore: SqliteScheduleStore | null = null;
  private readonly log: BeatLog;
  private running = false;
  private active = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;
  private readonly app: Celery;

  constructor(app: Celery, options: BeatOptions = {}) {
    this.app = app;
    const conf = app.conf;
    const settings = beatSettings(conf);
    this.log = options.log ?? app.log;
    const file = scheduleFilename(app);
    const local = (): SqliteScheduleStore => (this.localStore ??= new SqliteScheduleStore(file));
    const lockKey = beatLockKey(app);
    const link = new BrokerLink(() => app.connection(), (m) => this.log.warn(m));
    // An explicit state file wins; otherwise the broker's store, else the file.
    this.store = options.store ?? (settings.beat_schedule_filename ? local() : new BrokerScheduleStore(link, lockKey, local));
    this.lockTimeout = options.lockTimeout ?? (settings.beat_lock_timeout || DEFAULT_LOCK_TIMEOUT);
    const zone = conf.timezone || (conf.enable_utc ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone);
    this.scheduler = new Scheduler({
      send: options.send ?? ((entry) => app.sendTask(entry.task, entry.args, entry.applyOptions())),
      schedule: settings.beat_schedule,
      store: this.store,
      maxInterval: options.maxInterval ?? settings.beat_max_loop_interval,
      timezone: zone,
      enableUtc: conf.enable_utc,
      log: this.log,
    });
    if (options.lock !== undefined) this.lock = options.lock;
    else {
      const given = options.store;
      // The fallback lock lives in the SQLite state file: the given one, or beat's own; none for another given store.
      const ownLock = (): LeaseLock | null => given === undefined ? new SqliteLeaseLock(local().db)
        : given instanceof SqliteScheduleStore ? new SqliteLeaseLock(given.db) : null;
      this.lock = new BrokerLeaseLock(link, lockKey, ownLock);
    }
  }

  /**
   * Whether the schedule state lives in the broker (the PostgreSQL transport's store) rather than in
   * the SQLite file {@link scheduleFilename} names. Connects to choose when beat has not yet;
   * resolves false when the broker cannot be reached now (beat retries at its next renewal).
   */
  async stateOnBroker(): Promise<boolean> {
    if (!(this.store instanceof BrokerScheduleStore)) return false;
    await this.store.ready().catch(() => undefined);
    return this.store.onBroker;
  }

  /** True while this beat holds the lock and sends. */
  get isActive(): boolean {
    return this.active;
  }

  /**
   * Runs until {@link stop}: takes or renews the lock, ticks while holding it, sleeps. Resolves when
   * stopped. Errors of the lock store are logged and retried, not thrown — except a refused TLS
   * handshake or login (kombu's `TlsError` / `AuthenticationError`, also as the `cause` of a
   * BeatError), which no retry can fix: beat then stops and `run()` rejects with it.
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
    let fatal: Error | null = null;
    await this.installDefaultEntries();
    while (this.running) {
      let wait = renewEvery;
      try {
        if (this.store instanceof BrokerScheduleStore) await this.store.ready();
        const since = Date.now();
        const held = this.lock ? await this.lock.acquire(leaseMs) : true;
        if (held && !this.active) {
          await this.scheduler.reload(); // reads the state first: a failure leaves this beat on standby
          this.active = true;
          announcedStandby = false;
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
        const refused = refusedForGood(err);
        if (refused) {
          fatal = refused;
          break;
        }
      }
      if (this.running) await this.sleep(Math.min(wait, this.lock ? renewEvery : wait) * 1000);
    }
    this.running = false;
    this.active = false;
    await this.scheduler.flush();
    await this.lock?.release();
    await this.lock?.close();
    await this.store.close();
    this.localStore?.close();
    if (fatal) throw fatal;
  }

  /**
   * Celery `install_default_entries`: adds `celery.backend_cleanup` (daily, 4:00) when results expire
   * and the result backend does not expire them itself (see `default-entries.ts`), unless
   * `beat_schedule` has an entry of that name.
   */
  private async installDefaultEntries(): Promise<void> {
    let backend = null;
    try {
      backend = await this.app.backend();
    } catch (err) {
      this.log.warn(`beat: no result backend to check for expiry (${(err as Error).message}): celery.backend_cleanup not scheduled`);
    }
    for (const [name, def] of Object.entries(defaultEntries(this.app.conf.result_expires, backend))) {
      if (!this.scheduler.entries.has(name)) this.scheduler.add(name, def);
    }
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

/** The TlsError / AuthenticationError behind `err` (itself or its `cause`), or null. */
function refusedForGood(err: unknown): Error | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof TlsError || e instanceof AuthenticationError) return e;
  }
  return null;
}
