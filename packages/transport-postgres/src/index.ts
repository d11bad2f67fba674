/**
 * @cq/transport-postgres — PostgreSQL as a cq broker: `FOR UPDATE SKIP LOCKED` takes, LISTEN/NOTIFY
 * wake-ups, leases given back when their consumer dies, priorities, broker-side ETAs, fanout, and
 * kombu's SQLAlchemy tables (`sqla+postgresql://`) shared with Python Celery. Pass
 * `postgresTransport()` in the app's plugins. Beyond a broker: enqueue inside your own transaction
 * (`applyAsync(…, { transaction })`, built on `publishIn`), the outbox relay for other brokers
 * (`enqueueInOutbox`, `relayOutbox`), and beat's lock and schedule state in the database.
 */
export { transport, PostgresTransport, PostgresChannel } from './transport.js';
export { postgresTransport, POSTGRES_SCHEMES } from './plugin.js';
export { resolveOptions, type PostgresTransportOptions, type ResolvedOptions, type LayoutName, type TableNames } from './options.js';
export { isTransactionalPublisher, type TransactionalPublisher, type TransactionClient } from '@cq/kombu';
export {
  enqueueInOutbox, ensureOutbox, relayOutbox, OutboxRelay, OUTBOX_TABLE,
  type OutboxApplyOptions, type OutboxSender, type RelayOutboxOptions,
} from './outbox.js';
export { PostgresLeaseLock } from './lease-lock.js';
export { PostgresDeduplicator } from './deduplicator.js';
export { PostgresScheduleStore } from './schedule-store.js';
export { PostgresExchangeStore } from './exchange-store.js';
export { MessageStore, etaDelay, type LeaseSession, type TakenRow } from './message-store.js';
export { KOMBU_SEQUENCES } from './schema.js';
export { PostgresLayoutError, PostgresQueryError, toTransportError, isRecoverable } from './errors.js';
