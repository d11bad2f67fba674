/**
 * The dashboard's options, named after Flower's command-line options where Flower has one (`port`,
 * `address`, `db`, `basic_auth`, `max_tasks`, `max_workers`, `enable_events`, `inspect_timeout`),
 * with their defaults, read through {@link resolveOptions}. Durations are in seconds unless the name
 * says otherwise. Retention (`maxTasks`, `maxAge`) applies to the event store; the in-memory state
 * is only a cache over it, bounded by `maxTasksInMemory` and `maxWorkersInMemory`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DashboardOptionError } from './errors.js';

export interface DashboardOptions {
  /**
   * The event store (Flower `--db`): a SQLite file (`':memory:'` keeps nothing), or a PostgreSQL URL
   * `postgresql://user:pass@host/db[?schema=name]` (tables in schema `cq_dashboard` by default).
   * Default `./.cq/dashboard.db`.
   */
  db: string;
  /** Tasks kept in the store; past it the tasks with the oldest last event go first. Default 100 000. */
  maxTasks: number;
  /** Seconds a task (by its last event), an event or a silent worker is kept; 0: no age limit. Default 7 days. */
  maxAge: number;
  /** Tasks cached in memory (the store holds the rest). Default 1000. */
  maxTasksInMemory: number;
  /** Workers cached in memory (Flower `--max_workers`). Default 5000. */
  maxWorkersInMemory: number;
  /** TCP port (Flower's default). Default 5555. */
  port: number;
  /** Interface to listen on. Default `127.0.0.1` (Flower listens on every interface). */
  address: string;
  /** Accepted `user:password` pairs for HTTP basic auth (Flower `--basic-auth`). Default none. */
  basicAuth: string[];
  /** Accepted bearer tokens (`Authorization: Bearer <token>`). Default none. */
  authTokens: string[];
  /** Refuse every action (any request but GET/HEAD) with 403, and hide actions in the UI. Default false. */
  readOnly: boolean;
  /** Broadcast `enable_events` every 5 s, so workers started without `-E` send task events (Flower's default). Default true. */
  enableEvents: boolean;
  /** Seconds to wait for workers' replies to inspect and control commands (Flower `--inspect-timeout`, 1000 ms). Default 1.0. */
  inspectTimeout: number;
  /** Directory of the built UI (`index.html` + `assets/`). Default this package's `dist/ui`. */
  uiDir: string;
  /** Seconds between retention passes. Default 60. */
  pruneInterval: number;
  /** Milliseconds events are gathered before one transaction writes them to the store. Default 50. */
  flushInterval: number;
  /**
   * cq beat's SQLite state file, read (never written) by the beat page (`cq beat -s`). Default null:
   * where beat keeps it for the app (`beat_schedule_filename`, the broker's store, `.cq/beat.db`).
   */
  beatScheduleFilename: string | null;
}

/** Where the UI build lands: `<package>/dist/ui` (`corepack pnpm --filter @cq/dashboard build:ui`). */
export const DEFAULT_UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/ui');

export const DASHBOARD_DEFAULTS: Readonly<DashboardOptions> = Object.freeze({
  db: path.join('.cq', 'dashboard.db'),
  maxTasks: 100_000,
  maxAge: 7 * 24 * 3600,
  maxTasksInMemory: 1000,
  maxWorkersInMemory: 5000,
  port: 5555,
  address: '127.0.0.1',
  basicAuth: [],
  authTokens: [],
  readOnly: false,
  enableEvents: true,
  inspectTimeout: 1.0,
  uiDir: DEFAULT_UI_DIR,
  pruneInterval: 60,
  flushInterval: 50,
  beatScheduleFilename: null,
});

const COUNTS = ['maxTasks', 'maxTasksInMemory', 'maxWorkersInMemory'] as const;
const SECONDS = ['maxAge', 'inspectTimeout', 'pruneInterval', 'flushInterval'] as const;

/**
 * The options in effect: each given value, else its default.
 * @throws DashboardOptionError for a count below 1, a negative duration, a port outside 0..65535,
 *   or a `basicAuth` entry without `:`.
 */
export function resolveOptions(given: Partial<DashboardOptions> = {}): DashboardOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<DashboardOptions>;
  const options: DashboardOptions = { ...DASHBOARD_DEFAULTS, ...defined };
  for (const key of COUNTS) {
    if (!Number.isInteger(options[key]) || options[key] < 1) throw new DashboardOptionError(`${key}: expected a whole number >= 1, got ${String(options[key])}`);
  }
  for (const key of SECONDS) {
    if (!Number.isFinite(options[key]) || options[key] < 0) throw new DashboardOptionError(`${key}: expected a number >= 0, got ${String(options[key])}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new DashboardOptionError(`port: expected 0..65535, got ${String(options.port)}`);
  for (const pair of options.basicAuth) {
    if (!pair.includes(':')) throw new DashboardOptionError('basicAuth: each entry must be user:password');
  }
  if (options.authTokens.some((t) => t.length === 0)) throw new DashboardOptionError('authTokens: a token cannot be empty');
  return options;
}
