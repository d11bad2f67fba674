/**
 * The PostgreSQL store's tables: the SQLite store's (`sqlite-schema.ts`) in a schema of their own
 * (default `cq_dashboard`), so they never meet an application's `tasks` or `events` table.
 *
 * Differences that keep the answers identical:
 * - `tasks.seq` (bigserial) orders rows as inserted, where SQLite uses `rowid`; the listing indexes
 *   end with it and sort NULLs first, so a backward scan gives SQLite's `DESC` order (NULLs last).
 *   The state, name and worker indexes INCLUDE the other two (SQLite's carry them as trailing keys).
 * - Text columns are `COLLATE "C"`: code-point order, as SQLite's BINARY.
 * - Numbers are `double precision` (SQLite keeps whatever number an event carries).
 * - `cq_kwarg_is` (Flower's kwargs match) is a PL/pgSQL function; `cq_search_text` joins the fields
 *   Flower's free-text search looks in, declared IMMUTABLE so that a pg_trgm GIN index can hold it
 *   (`concat_ws` itself is only STABLE).
 * - A task's events are deleted by the retention query itself (no trigger).
 *
 * pg_trgm is created when missing (`CREATE EXTENSION`, a trusted extension since PostgreSQL 13);
 * where that is not allowed the store works without the search index (a search then scans).
 */
import { SEARCH_FIELDS } from './dialect.js';

export const PG_SCHEMA_VERSION = 1;

const text = 'text COLLATE "C"';

/** The tables, functions and B-tree indexes, created in the current schema (the first of `search_path`). */
export const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key ${text} PRIMARY KEY, value text NOT NULL);

CREATE TABLE IF NOT EXISTS tasks (
  uuid ${text} PRIMARY KEY,
  seq bigserial NOT NULL,
  name ${text},
  state ${text} NOT NULL,
  worker ${text},
  client ${text},
  timestamp double precision,
  clock double precision NOT NULL DEFAULT 0,
  sent double precision, received double precision, started double precision, succeeded double precision,
  failed double precision, retried double precision, revoked double precision, rejected double precision,
  args ${text}, kwargs ${text}, eta ${text}, expires ${text}, retries double precision,
  result ${text}, exception ${text}, traceback ${text}, runtime double precision,
  exchange ${text}, routing_key ${text}, root_id ${text}, parent_id ${text},
  extra text,
  recorded double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_timestamp ON tasks (timestamp NULLS FIRST, seq);
CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks (state, timestamp NULLS FIRST, seq) INCLUDE (name, worker);
CREATE INDEX IF NOT EXISTS tasks_by_name ON tasks (name, timestamp NULLS FIRST, seq) INCLUDE (worker, state);
CREATE INDEX IF NOT EXISTS tasks_by_worker ON tasks (worker, timestamp NULLS FIRST, seq) INCLUDE (name, state);
CREATE INDEX IF NOT EXISTS tasks_by_received ON tasks (received NULLS FIRST, seq);
CREATE INDEX IF NOT EXISTS tasks_by_started ON tasks (started NULLS FIRST, seq);
CREATE INDEX IF NOT EXISTS tasks_by_parent ON tasks (parent_id);

CREATE TABLE IF NOT EXISTS events (
  id bigserial PRIMARY KEY,
  uuid ${text},
  type ${text} NOT NULL,
  hostname ${text},
  timestamp double precision,
  local_received double precision NOT NULL,
  fields text NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_task ON events (uuid, id);
CREATE INDEX IF NOT EXISTS events_by_time ON events (local_received);

CREATE TABLE IF NOT EXISTS workers (
  hostname ${text} PRIMARY KEY,
  pid double precision, freq double precision, clock double precision, active double precision, processed double precision, loadavg text,
  sw_ident ${text}, sw_ver ${text}, sw_sys ${text},
  heartbeats text NOT NULL DEFAULT '[]',
  online boolean NOT NULL DEFAULT true,
  last_seen double precision NOT NULL,
  info text
);

-- Flower's stringified_dict_contains_value, as search.ts kwargIs.
CREATE OR REPLACE FUNCTION cq_kwarg_is(kwargs text, key text, value text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  at integer;
  rest text;
  stop integer;
BEGIN
  IF kwargs IS NULL THEN RETURN false; END IF;
  at := strpos(kwargs, key);
  IF at = 0 THEN RETURN false; END IF;
  rest := substr(kwargs, at + length(key) + 3);
  stop := strpos(rest, ',');
  IF stop = 0 THEN stop := strpos(rest, '}'); END IF;
  IF stop = 0 THEN RETURN false; END IF;
  RETURN btrim(substr(rest, 1, stop - 1), '"''') = value;
END $$;

CREATE OR REPLACE FUNCTION cq_search_text(${SEARCH_FIELDS.map((f) => `${f} text`).join(', ')}) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT concat_ws('|', ${SEARCH_FIELDS.join(', ')}) $$;
`;

/** The trigram index of the free-text search; `trgm` is the schema pg_trgm lives in. */
export const pgSearchIndex = (trgm: string): string =>
  `CREATE INDEX IF NOT EXISTS tasks_search ON tasks USING gin (cq_search_text(${SEARCH_FIELDS.join(', ')}) ${trgm}.gin_trgm_ops)`;
