/**
 * @cq/dashboard — Flower's features for cq and Python Celery clusters, with kept history: every
 * event recorded in SQLite or PostgreSQL (retention by count and age; reconnecting after a broker outage), Flower's HTTP API (same paths, parameters
 * and JSON), Prometheus metrics with Flower's names, basic/bearer auth and a read-only mode, and a
 * React UI with live updates. `Dashboard.start(app, options)` in code, `cq-dashboard` on the
 * command line; nothing runs on import.
 */
export { Dashboard, DASHBOARD_VERSION } from './dashboard.js';
export { DASHBOARD_DEFAULTS, DEFAULT_UI_DIR, resolveOptions, type DashboardOptions } from './options.js';
export { EventRecorder, type RecorderOptions, type FlushChange } from './recorder.js';
export type { EventStore, TaskRow, WorkerRow, StoredEvent, WriteBatch, PruneOptions, PruneResult, EventCountQuery } from './store/event-store.js';
export { SqliteEventStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export { PostgresEventStore, type PostgresStoreOptions } from './store/postgres-store.js';
export { openEventStore, isPostgresUrl } from './store/open.js';
export { EventCapture, type CaptureChange, type EventCaptureOptions } from './event-capture.js';
export { connectionRetrySettings, type ConnectionRetrySettings } from './connection-retry.js';
export { SORT_KEYS, type TaskFilter } from './store/task-query.js';
export { parseSearchTerms, type SearchTerms } from './store/search.js';
export { DashboardMetrics, type QueueLength } from './metrics.js';
export { taskAsDict, listedTask, TASK_FIELDS } from './flower.js';
export { parsePythonLiteral, taskArguments, LiteralParseError } from './python-literal.js';
export { openApiDocument } from './openapi.js';
export { main as runDashboardCommand, parseDashboardArgs } from './cli.js';
export { DashboardError, DashboardOptionError, EventStoreError, ApiError } from './errors.js';
