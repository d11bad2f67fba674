/**
 * @cq/transport-sqlite — cq's embedded default broker: a kombu virtual transport over one SQLite
 * file shared by every process on the machine. Pass `sqliteTransport()` in the app's plugins
 * for `sqlite://` URLs.
 */
export { transport, SqliteTransport, SqliteChannel, type SqliteTransportOptions } from './transport.js';
export { SqliteExchangeStore } from './exchange-store.js';
export { databasePath, DEFAULT_DATABASE } from './path.js';
export { SqliteLeaseLock, type SqliteLeaseLockOptions } from './lease-lock.js';
export { SqliteDeduplicator } from './deduplicator.js';
export { sqliteTransport } from './plugin.js';
