/**
 * Picks the event store for a `db` option (Flower's `--db`): a `postgresql://` or `postgres://` URL
 * is a {@link PostgresEventStore}, anything else a SQLite file path (`':memory:'` included).
 */
import type { EventStore } from './event-store.js';
import { PostgresEventStore } from './postgres-store.js';
import { SqliteEventStore } from './sqlite-store.js';

/** Whether `db` names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/**
 * The store for `db`, not yet connected for PostgreSQL (call `open()`); a SQLite file is opened now.
 * @throws EventStoreError for a SQLite file that cannot be opened, or a malformed PostgreSQL URL.
 */
export function openEventStore(db: string): EventStore {
  return isPostgresUrl(db) ? new PostgresEventStore(db) : new SqliteEventStore(db);
}
