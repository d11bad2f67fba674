/**
 * @cq/backend — the result backend base for cq (Celery `celery/backends/base.py`): task states, the
 * exception dict codec, the abstract Backend, the key-value template, the database template (Celery's
 * database backend tables, with its safe pickle codec), the in-memory backend and the URL registry.
 * The conformance suite is at `@cq/backend/testing`.
 */
export {
  PENDING, RECEIVED, STARTED, SUCCESS, FAILURE, REVOKED, REJECTED, RETRY, IGNORED,
  READY_STATES, UNREADY_STATES, EXCEPTION_STATES, PROPAGATE_STATES, ALL_STATES, precedence, outranks,
  type State,
} from './states.js';
export type { TaskMeta, GroupMeta, ResultTuple, HasAsTuple, TaskRequest, ChordPart, ChordPartRequest } from './types.js';
export {
  prepareException, errorFromExceptionInfo, isExceptionInfo, RemoteTaskError,
  type ExceptionInfo, type ExceptionInfoLike,
} from './exceptions.js';
export {
  Backend, DEFAULT_POLL_INTERVAL_MS, type BackendOptions, type StoreResultOptions, type WaitForOptions,
} from './backend.js';
export { KeyValueStoreBackend, type KeyValueStoreBackendOptions } from './key-value.js';
export { MemoryBackend, type MemoryBackendOptions } from './memory.js';
export { DatabaseBackend, type DatabaseConnection } from './database/database-backend.js';
export {
  databaseSettings, poolLimits, type DatabaseBackendOptions, type DatabaseSettings, type EngineOptions,
} from './database/settings.js';
export {
  DEFAULT_TABLE_NAMES, tablesFor, type TableNames, type TableSchemas, type TableRef, type Tables, type TaskRow, type TaskColumn,
} from './database/model.js';
export type { SqlDriver, SqlQuery, SqlResult, SqlValue } from './database/driver.js';
export { naiveUtc, type SqlDialect, type RowIds } from './database/dialect.js';
export { POSTGRESQL_DIALECT, resultChannel } from './database/dialects/postgresql.js';
export { MYSQL_DIALECT } from './database/dialects/mysql.js';
export { SQLITE_DIALECT } from './database/dialects/sqlite.js';
export { parseDatabaseUrl, parseDialectUrl, redact, type DatabaseUrl, type DialectUrlOptions } from './database/url.js';
export { dumpsPickle } from './database/pickle-writer.js';
export { loadsPickle, type LoadsPickleOptions } from './database/pickle-reader.js';
export { PickleTuple, PickleGlobal, PickleCall } from './database/python-values.js';
export {
  BackendRegistry, backendScheme, type BackendFactory, type BackendLoader,
} from './registry.js';
export { backendPlugin, type BackendPlugin, type BackendHost } from './plugin.js';
export {
  BackendError, BackendConfigurationError, UnknownBackendError, BackendNotInstalledError, BackendStoreError,
  BackendGetMetaError, BackendClosedError, InvalidExceptionInfoError, TimeoutError, WaitAbortedError,
  PickleError, UnsafePickleError, PickleFormatError, type BackendErrorOptions,
} from './errors.js';
