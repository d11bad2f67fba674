/**
 * @cq/backend — the result backend base for cq (Celery `celery/backends/base.py`): task states, the
 * exception dict codec, the abstract Backend, the key-value template, the in-memory backend and the
 * URL registry. The conformance suite is at `@cq/backend/testing`.
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
export {
  createBackend, registerBackend, backendAliases, backendScheme, type BackendFactory, type BackendLoader,
} from './registry.js';
export {
  BackendError, BackendConfigurationError, UnknownBackendError, BackendNotInstalledError, BackendStoreError,
  BackendGetMetaError, BackendClosedError, InvalidExceptionInfoError, TimeoutError, WaitAbortedError,
  type BackendErrorOptions,
} from './errors.js';
