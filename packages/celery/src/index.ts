/**
 * @cq/celery — cq, Celery in TypeScript, in one package: the app, the worker, messaging, result
 * backends, and the embedded SQLite broker and result backend (the defaults when nothing is
 * configured). Its `Celery` is the app of @cq/app built with the full preset of plugins
 * (`fullStack()`: the SQLite, Redis and AMQP transports, the SQLite, Redis and rpc result backends,
 * canvas, events); importing it changes nothing by itself.
 */
export { Celery, fullStack } from './preset.js';
export { fastProfile } from './fast-profile.js';
export {
  Task, AsyncResult, currentTask, createLogger, pythonRepr, buildTaskMessage, decodeTaskMessage,
  DEFAULTS, EMBEDDED_BROKER_URL, EMBEDDED_RESULT_BACKEND, filterHiddenSettings, HIDDEN_SETTINGS,
  CeleryError, ImproperlyConfigured, NotRegistered, TimeoutError, TaskArgumentError, TaskRevokedError,
  SoftTimeLimitExceeded, TimeLimitExceeded, Retry, Ignore, Reject, InvalidTaskError,
  type AppOverrides, type AppOptions, type CeleryPlugin, type TaskSentHook, type TaskOptions, type ApplyOptions, type GetOptions, type TaskContext, type TaskRequest,
  type CelerySettings, type TaskRoutes, type RouteSpec, type Logger, type RetryOptions,
  Signal, before_task_publish, after_task_publish, task_prerun, task_postrun, task_success, task_failure, task_retry,
  task_revoked, task_unknown, task_rejected, task_received, worker_init, worker_ready, worker_shutting_down, worker_shutdown,
  worker_process_init, worker_process_shutdown, type SignalEvent, type ExceptionInfo,
  CanvasUnavailableError, NotInChordError, AddToChordUnsupportedError, TransactionUnsupportedError, type BoundTaskContext, type SignatureDict,
  securitySettings, type SecuritySettings, type SetupSecurityOptions,
  EagerResult, workerDirect, IncompleteStream, type TaskClass, type TaskAnnotations, type EagerApplyOptions, type RevokeOptions,
  TaskValidationError, type ValidationIssue, type StandardSchema, type ArgumentSchemas,
  DeduplicationUnsupportedError, DeduplicationOptionsError, getDeduplicationTaskId, removeDeduplicationKey, task_deduplicated, type DeduplicationMode,
} from '@cq/app';
export {
  Worker, nodename, createPool, WorkerLostError, WorkerTerminate, Blueprint, Step, StartStopStep, PoolComponent,
  ConsumerComponent, ConnectionStep, QosStep, TasksStep, EventsStep, HeartStep, ControlStep, type WorkerOptions, type Pool, type ShutdownMode, type StepClass,
  workerSettings, type WorkerSettings, canRestart, type RestartablePool,
} from '@cq/worker';
export {
  Connection, Exchange, Queue, binding, Producer, Consumer, Message, dumps, loads, kombuJson, compress, decompress,
  TransportRegistry, transportPlugin, type TransportPlugin, type TransportHost, registerSerializer, registerCompressor, parseUrl, redact, redactUrls, MemoryTransport, parseIsoDate, formatPythonIsoDate,
  KombuError, ContentDisallowedError, DecodeError, EncodeError, ConfigurationError, TransportError, TlsError, AuthenticationError,
  isScheduleStoreProvider, toEnvelope, fromEnvelope, type Envelope, type Transport, type Channel, type TransportDefinition, type Serializer,
  SecurityError, getSerializer, SerializerScope,
} from '@cq/kombu';
export {
  Backend, KeyValueStoreBackend, MemoryBackend, BackendRegistry, backendPlugin, type BackendPlugin, type BackendHost, RemoteTaskError,
  READY_STATES, PROPAGATE_STATES, type TaskMeta,
} from '@cq/backend';
export { sqliteTransport, SqliteTransport } from '@cq/transport-sqlite';
export { redisTransport, RedisTransport } from '@cq/transport-redis';
export { amqpTransport, AmqpTransport } from '@cq/transport-amqp';
export { RedisBackend, redisBackend } from '@cq/backend-redis';
export { RpcBackend, rpcBackend } from '@cq/backend-rpc';
export { SqliteBackend, sqliteBackend } from '@cq/backend-sqlite';
export { Thenable, Barrier, deferred, sleep } from '@cq/vine';
export {
  Control, control, Inspect, Mailbox, Node, Panel, controlPanel, builtinPanel, RevokedSet, StateDb, ControlError, ControlArgumentError,
  StateDbError, type BroadcastOptions, type Reply, type InspectOptions, type ControlCommand, type ControlHandler, type ControlState,
  controlSettings, type ControlSettings,
} from '@cq/control';
export {
  EventDispatcher, EventReceiver, State, WorkerState, TaskState, LamportClock, Dumper, eventSettings,
  heartbeatExpires, HEARTBEAT_EXPIRE_WINDOW, events, EventsError, EventDispatcherError, EventReceiverError,
  type CeleryEvent, type EventDispatcherOptions, type EventReceiverOptions, type EventHandler, type StateOptions, type EventSettings,
} from '@cq/events';
export {
  Signature, signature, signatureFromDict, immutable, Chain, chain, Group, group, GroupResult, continueOnSuccess, continueOnFailure,
  CanvasError, SignatureDictError, UnsupportedCanvasError, CanvasUsageError, Chord, chord, ChordError, registerBuiltins, canvas,
  XMap, XStarmap, Chunks, xmap, xstarmap, chunks,
  type AnySignature, type CanvasApp, type SignatureInit, type SignatureOptions, type ResultOf,
} from '@cq/canvas';
export {
  Beat, scheduleFilename, beatLockKey, Scheduler, ScheduleEntry, schedule, crontab, solar, IntervalSchedule, Crontab, Solar, SqliteScheduleStore,
  RedisLeaseLock, SqliteLeaseLock, BeatError, ScheduleParseError, ScheduleEntryError, BeatLockError, BeatStoreError,
  type BeatOptions, type SchedulerOptions, type BaseSchedule, type ScheduleState, type CrontabFields, type SolarEvent,
  type EntryDefinition, type EntryOptions, type BeatScheduleSetting, type ScheduleStore, type LeaseLock,
  beatSettings, type BeatSettings,
} from '@cq/beat';
