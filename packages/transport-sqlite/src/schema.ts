/**
 * Opens the broker database and creates its tables. The queue and message tables are those of
 * kombu's SQLAlchemy transport (`kombu/transport/sqlalchemy/models.py`), so a file created by Python
 * is used as is: our extra message columns (`priority`, `lease_*`) are added when missing.
 *
 * A leased row (taken, not yet acked) has `visible = 0` and a non-null `lease_owner`; a row parked
 * until its ETA has `visible = 0`, no owner and `visible_after` (unix seconds), and becomes visible
 * when due; rows that Python's kombu consumed keep `visible = 0` with neither and are never touched
 * again. Parked rows are invisible to Python's kombu, which takes `visible = 1` rows only.
 */
import Database from 'better-sqlite3';
import { toTransportError } from './errors.js';

const TABLES = `
CREATE TABLE IF NOT EXISTS kombu_queue (
  id INTEGER PRIMARY KEY,
  name VARCHAR(200) UNIQUE
);
CREATE TABLE IF NOT EXISTS kombu_message (
  id INTEGER PRIMARY KEY,
  visible BOOLEAN,
  timestamp DATETIME,
  payload TEXT NOT NULL,
  version SMALLINT NOT NULL DEFAULT 1,
  queue_id INTEGER REFERENCES kombu_queue (id),
  priority INTEGER NOT NULL DEFAULT 0,
  lease_until REAL,
  lease_owner TEXT,
  lease_pid INTEGER,
  visible_after REAL
);
CREATE TABLE IF NOT EXISTS kombu_exchange (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kombu_binding (
  exchange TEXT NOT NULL,
  routing_key TEXT NOT NULL,
  queue TEXT NOT NULL,
  UNIQUE (exchange, routing_key, queue)
);`;

const INDEXES = `
CREATE INDEX IF NOT EXISTS ix_kombu_message_take ON kombu_message (queue_id, visible, priority DESC, id);
CREATE INDEX IF NOT EXISTS ix_kombu_message_lease ON kombu_message (lease_until, lease_pid) WHERE lease_owner IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_kombu_message_due ON kombu_message (queue_id, visible_after) WHERE visible_after IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_kombu_binding_queue ON kombu_binding (queue);`;

/** Columns we add to a `kombu_message` table created by Python's kombu. */
const EXTRA_COLUMNS: Record<string, string> = {
  priority: 'INTEGER NOT NULL DEFAULT 0',
  lease_until: 'REAL',
  lease_owner: 'TEXT',
  lease_pid: 'INTEGER',
  visible_after: 'REAL',
};

/**
 * Opens (creating) the database at `file` with WAL journaling, `synchronous=NORMAL` and a 5 s busy
 * timeout, so several processes can share it. Throws kombu's `ConfigurationError` when the file is
 * not a SQLite database or cannot be opened for writing, `ConnectionError` when it stays locked.
 */
export function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.transaction(() => {
      db!.exec(TABLES);
      const present = new Set((db!.pragma('table_info(kombu_message)') as Array<{ name: string }>).map((c) => c.name));
      for (const [column, type] of Object.entries(EXTRA_COLUMNS)) {
        if (!present.has(column)) db!.exec(`ALTER TABLE kombu_message ADD COLUMN ${column} ${type}`);
      }
      db!.exec(INDEXES);
    }).immediate();
    return db;
  } catch (err) {
    db?.close();
    throw toTransportError(err, 'opening the database', file);
  }
}
