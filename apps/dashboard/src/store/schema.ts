/**
 * The event store's tables (one SQLite file, WAL):
 *
 * - `tasks`: one row per task uuid, the state Celery's `events.state.Task` holds (Flower's fields),
 *   plus `extra` (other event fields, JSON) and `recorded` (local time of its first event). Indexed
 *   for every filter of the task listing, each with the default order (`timestamp`).
 * - `events`: every task event and every worker event but heartbeats, as received (`fields`, JSON),
 *   for a task's timeline. A task's events go when the task goes (trigger).
 * - `workers`: one row per worker host name: its last `worker-*` fields, the arrival times of its
 *   last heartbeats, and `info`, what inspecting it returned (Flower's worker cache), JSON.
 * - `meta`: `schema_version`.
 */
export const SCHEMA_VERSION = 1;

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
CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks (state, timestamp);
CREATE INDEX IF NOT EXISTS tasks_by_name ON tasks (name, timestamp);
CREATE INDEX IF NOT EXISTS tasks_by_worker ON tasks (worker, timestamp);
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
