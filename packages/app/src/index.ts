/**
 * @cq/app — the Celery app for cq: configuration by Celery's setting names, task registration with
 * inferred types, protocol v2 encode/decode, routing, and AsyncResult.
 */
export { Celery, type AppOverrides, type BootstepClass, type TaskSentHook } from './app.js';
export type { CeleryPlugin, AppOptions } from './plugin.js';
export {
  Signal, before_task_publish, after_task_publish, task_prerun, task_postrun, task_success, task_failure, task_retry,
  task_revoked, task_unknown, task_rejected, task_received, worker_init, worker_ready, worker_shutting_down, worker_shutdown,
  worker_process_init, worker_process_shutdown,
  type Receiver, type SignalEvent, type ConnectOptions, type SignalResponse, type ExceptionInfo,
} from './signals.js';
export { Task, type TaskOptions, type ApplyOptions, type TaskFunction, type BoundTaskFunction, type TaskApp, type ErrorMatcher, type InvokeWrapper } from './task.js';
export { taskHasCustom, TASK_HOOKS, type TaskClass, type TaskHookName } from './task.js';
export {
  validateArguments, validateResult, isStandardSchema, type StandardSchema, type ArgumentSchemas, type SchemaTaskOptions,
  type SchemaArgs, type SchemaParams, type SchemaInput, type SchemaOutput,
} from './schema.js';
export { applyEagerly, exceptionInfo, type EagerApplyOptions } from './eager.js';
export { EagerResult } from './eager-result.js';
export {
  annotateTask, resolveAnnotations, type TaskAnnotations, type TaskAnnotation, type AnnotationEntry, type AnnotationObject, type AroundAnnotation,
} from './annotations.js';
export { workerDirect, WORKER_DIRECT_EXCHANGE } from './nodenames.js';
export { autoretryFor, errorMatches, exponentialBackoff, type RandomSource } from './autoretry.js';
export { AsyncResult, type GetOptions, type ResultBackend, type RevokeOptions, type RevokeControl, type ResultNode, type ResultApp } from './result.js';
export { currentTask, runWithContext, addTrail, taskChildren, recordedChildren, type TaskContext, type TaskRequest } from './context.js';
export { bindTaskContext, TaskContextBase, type BoundTaskContext, type TaskCanvas, type SignatureLike } from './context.js';
export {
  DEFAULTS, EMBEDDED_BROKER_URL, EMBEDDED_RESULT_BACKEND, createSettings, settingsSlice, resolveBrokerUrl, resolveResultBackend,
  type CelerySettings, type RouteSpec, type RouteFunction, type TaskRoutes, type QueueSetting,
} from './config.js';
export { isKnownSetting } from './known-settings.js';
export { SECURITY_DEFAULTS, securitySettings, type SecuritySettings, type SetupSecurityOptions } from './security.js';
export { filterHiddenSettings, HIDDEN_SETTINGS, HIDDEN_MASK } from './hidden-settings.js';
export { resolveRoute, lookupRoute, type ResolvedRoute, type RouteContext } from './routes.js';
export { detectQuorumQueues, isQuorumQueue, checkQueueType } from './quorum-queues.js';
export { nativeDelayedRoute, type DelayedTarget, type DelayedDeliveryApp } from './delayed-delivery.js';
export { createLogger, levelName, type Logger } from './logging.js';
export { inferParamNames } from './params.js';
export {
  buildTaskMessage, decodeTaskMessage, isTaskMessage, defaultOrigin, pythonRepr, safeRepr, argsRepr, kwargsRepr,
  ProtocolError, InvalidTaskError, InvalidTaskOptionsError,
} from './protocol/index.js';
export type {
  TaskHeaders, TaskEmbed, SignatureDict, TaskMessageParts, TaskProperties, TaskBody, BuildTaskOptions, TaskRequestFields,
} from './protocol/types.js';
export {
  CeleryError, ImproperlyConfigured, NotRegistered, TimeoutError, TaskArgumentError, TaskRevokedError,
  SoftTimeLimitExceeded, TimeLimitExceeded, TaskSignal, Retry, Ignore, Reject, type RetryOptions,
  MaxRetriesExceededError, QueueNotFound, IncompleteStream, type RetrySignature,
} from './errors.js';
export { CanvasUnavailableError, NotInChordError, AddToChordUnsupportedError, TransactionUnsupportedError } from './errors.js';
export { DeduplicationUnsupportedError, DeduplicationOptionsError } from './errors.js';
export {
  DEDUPLICATION_HEADER, DEDUPLICATION_DEFAULTS, deduplicationKey, deduplicationSettings, readDeduplicationHeader, getDeduplicationTaskId,
  removeDeduplicationKey, task_deduplicated, type DeduplicationMode, type DeduplicationHeader, type DeduplicationSettings, type DeduplicationApp,
} from './deduplication.js';
export { TaskValidationError, type ValidationIssue } from './errors.js';
