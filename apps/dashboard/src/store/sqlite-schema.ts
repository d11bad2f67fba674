/**
 * The SQLite store's tables (one file, WAL); the PostgreSQL store has the same ones
 * (`postgres-schema.ts`):
 *
 * - `tasks`: one row per task uuid, the state Celery's `events.state.Task` holds (Flower's fields),
 *   plus `extra` (other event fields, JSON) and `recorded` (local time of its first event). Indexed
 *   for every filter of the task listing, each with the default order (`timestamp`); the state,
 *   name and worker indexes also carry the other two, so a page's count with two of those filters
 *   reads one index range and no table rows (version 2).
 * - `events`: every task event and every worker event but heartbeats, as received (`fields`, JSON),
 *   for a task's timeline. A task's events go when the task goes (trigger).
 * - `workers`: one row per worker host name: its last `worker-*` fields, the arrival times of its
 *   last heartbeats, and `info`, what inspecting it returned (Flower's worker cache), JSON.
 * - `tasks_search` (version 2): an FTS5 index with the trigram tokenizer, case-sensitive and
 *   contentless, over the text Flower's free-text search looks in but the state (`FTS_FIELDS`: name,
 *   uuid, worker, args, kwargs, result joined by `|`), kept by triggers; a term of 3 characters or
 *   more is looked up there instead of scanning every task. A changed row's old text is removed with FTS5's
 *   `'delete'` command, given the old text the trigger computes (ten times cheaper than a DELETE on
 *   a `contentless_delete` table). The text is a function of the row alone, so the one inserted and
 *   the one removed are always the same. Opening a version-1 file builds it
 *   (and {@link UPGRADE_FROM_1} the wider indexes).
 * - `meta`: `schema_version`.
 */
import { FTS_FIELDS } from './dialect.js';

export const SCHEMA_VERSION = 2;

/** The indexed text ({@link FTS_FIELDS} joined by `|`) of the trigger's `new` or `old` row, or of the table's row. */
const textOf = (row: 'new' | 'old' | null): string => `concat_ws('|', ${FTS_FIELDS.map((f) => (row ? `${row}.${f}` : f)).join(', ')})`;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS tasks (
  uuid TEXT PRIMARY KEY,
  name TEXT,
  state TEXT NOT NULL,
  worker TEXT,
  client TEXT,
  timestamp REAL,
  clock INTEGER NOT NULL DEFAULT 0,
  sent REAL, received REAL, started REAL, succeeded REAL, failed REAL, retried REAL, revoked REAL, rejected REAL,
  args TEXT, kwargs TEXT, eta TEXT, expires TEXT, retries INTEGER,
  result TEXT, exception TEXT, traceback TEXT, runtime REAL,
  exchange TEXT, routing_key TEXT, root_id TEXT, parent_id TEXT,
  extra TEXT,
  recorded REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_timestamp ON tasks (timestamp);
CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks (state, timestamp, name, worker);
CREATE INDEX IF NOT EXISTS tasks_by_name ON tasks (name, timestamp, worker, state);
CREATE INDEX IF NOT EXISTS tasks_by_worker ON tasks (worker, timestamp, name, state);
CREATE INDEX IF NOT EXISTS tasks_by_received ON tasks (received);
CREATE INDEX IF NOT EXISTS tasks_by_started ON tasks (started);
CREATE INDEX IF NOT EXISTS tasks_by_parent ON tasks (parent_id);

CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  uuid TEXT,
  type TEXT NOT NULL,
  hostname TEXT,
  timestamp REAL,
  local_received REAL NOT NULL,
  fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_task ON events (uuid, id);
CREATE INDEX IF NOT EXISTS events_by_time ON events (local_received);
CREATE TRIGGER IF NOT EXISTS tasks_drop_events AFTER DELETE ON tasks BEGIN
  DELETE FROM events WHERE uuid = old.uuid;
END;

CREATE VIRTUAL TABLE IF NOT EXISTS tasks_search USING fts5(text, content='', tokenize='trigram case_sensitive 1');
CREATE TRIGGER IF NOT EXISTS tasks_search_insert AFTER INSERT ON tasks BEGIN
  INSERT INTO tasks_search (rowid, text) VALUES (new.rowid, ${textOf('new')});
END;
CREATE TRIGGER IF NOT EXISTS tasks_search_update AFTER UPDATE ON tasks WHEN ${textOf('old')} IS NOT ${textOf('new')} BEGIN
  INSERT INTO tasks_search (tasks_search, rowid, text) VALUES ('delete', old.rowid, ${textOf('old')});
  INSERT INTO tasks_search (rowid, text) VALUES (new.rowid, ${textOf('new')});
END;
CREATE TRIGGER IF NOT EXISTS tasks_search_delete AFTER DELETE ON tasks BEGIN
  INSERT INTO tasks_search (tasks_search, rowid, text) VALUES ('delete', old.rowid, ${textOf('old')});
END;

CREATE TABLE IF NOT EXISTS workers (
  hostname TEXT PRIMARY KEY,
  pid INTEGER, freq REAL, clock INTEGER, active INTEGER, processed INTEGER, loadavg TEXT,
  sw_ident TEXT, sw_ver TEXT, sw_sys TEXT,
  heartbeats TEXT NOT NULL DEFAULT '[]',
  online INTEGER NOT NULL DEFAULT 1,
  last_seen REAL NOT NULL,
  info TEXT
);
`;

/** Run before {@link SCHEMA} on a version-1 file: its narrower indexes, rebuilt by SCHEMA. */
export const UPGRADE_FROM_1 = 'DROP INDEX IF EXISTS tasks_by_state; DROP INDEX IF EXISTS tasks_by_name; DROP INDEX IF EXISTS tasks_by_worker;';

/** Fills `tasks_search` from the tasks of a file written before version 2. */
export const BUILD_SEARCH_INDEX = `INSERT INTO tasks_search (rowid, text) SELECT rowid, ${textOf(null)} FROM tasks`;
