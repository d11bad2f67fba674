/**
 * @cq/celery — cq, Celery in TypeScript, in one package: the app, the worker, messaging, result
 * backends, and the embedded SQLite broker and result backend (the defaults when nothing is
 * configured). Importing it registers the bundled transports (SQLite, Redis, AMQP) and result backends
 * (SQLite, Redis, rpc) with the registries, so they resolve whatever the package layout.
 */
import { registerTransport } from '@cq/kombu';
import { registerBackend } from '@cq/backend';

registerTransport('sqlite', async () => (await import('@cq/transport-sqlite')).transport);
registerTransport('sqla+sqlite', async () => (await import('@cq/transport-sqlite')).transport);
registerTransport('redis', async () => (await import('@cq/transport-redis')).transport);
registerTransport('rediss', async () => (await import('@cq/transport-redis')).transport);
registerTransport('amqp', async () => (await import('@cq/transport-amqp')).transport);
registerTransport('amqps', async () => (await import('@cq/transport-amqp')).transport);
registerTransport('pyamqp', async () => (await import('@cq/transport-amqp')).transport);
registerBackend('sqlite', async () => (await import('@cq/backend-sqlite')).default);
registerBackend('redis', async () => (await import('@cq/backend-redis')).default);
registerBackend('rediss', async () => (await import('@cq/backend-redis')).default);
registerBackend('rpc', async () => (await import('@cq/backend-rpc')).default);
registerBackend('db+sqlite', async () => (await import('@cq/backend-sqlite')).default);

export {
  Celery, Task, AsyncResult, currentTask, createLogger, pythonRepr, buildTaskMessage, decodeTaskMessage,
  DEFAULTS, EMBEDDED_BROKER_URL, EMBEDDED_RESULT_BACKEND,
  CeleryError, ImproperlyConfigured, NotRegistered, TimeoutError, TaskArgumentError, TaskRevokedError,
  SoftTimeLimitExceeded, TimeLimitExceeded, Retry, Ignore, Reject, InvalidTaskError,
  type AppOverrides, type TaskOptions, type ApplyOptions, type GetOptions, type TaskContext, type TaskRequest,
  type CelerySettings, type TaskRoutes, type RouteSpec, type Logger, type RetryOptions,
  Signal, before_task_publish, after_task_publish, task_prerun, task_postrun, task_success, task_failure, task_retry,
  task_revoked, task_unknown, task_rejected, task_received, worker_init, worker_ready, worker_shutting_down, worker_shutdown,
  worker_process_init, worker_process_shutdown, type SignalEvent, type ExceptionInfo,
  CanvasUnavailableError, NotInChordError, AddToChordUnsupportedError, type BoundTaskContext, type SignatureDict,
} from '@cq/app';
export {
  Worker, nodename, createPool, WorkerLostError, WorkerTerminate, Blueprint, Step, StartStopStep, PoolComponent,
  ConsumerComponent, ConnectionStep, QosStep, TasksStep, EventsStep, HeartStep, ControlStep, type WorkerOptions, type Pool, type ShutdownMode, type StepClass,
} from '@cq/worker';
export {
  Connection, Exchange, Queue, binding, Producer, Consumer, Message, dumps, loads, kombuJson, compress, decompress,
  registerTransport, registerSerializer, registerCompressor, parseUrl, redact, MemoryTransport, parseIsoDate, formatPythonIsoDate,
  KombuError, ContentDisallowedError, DecodeError, EncodeError, ConfigurationError, TransportError,
  toEnvelope, fromEnvelope, type Envelope, type Transport, type Channel, type TransportDefinition, type Serializer,
} from '@cq/kombu';
export {
  Backend, KeyValueStoreBackend, MemoryBackend, createBackend, registerBackend, RemoteTaskError,
  READY_STATES, PROPAGATE_STATES, type TaskMeta,
} from '@cq/backend';
export { transport as sqliteTransport, SqliteTransport } from '@cq/transport-sqlite';
export { transport as redisTransport, RedisTransport } from '@cq/transport-redis';
export { transport as amqpTransport, AmqpTransport } from '@cq/transport-amqp';
export { default as RedisBackend } from '@cq/backend-redis';
export { default as RpcBackend } from '@cq/backend-rpc';
export { default as SqliteBackend } from '@cq/backend-sqlite';
export { Thenable, Barrier, deferred, sleep } from '@cq/vine';
export {
  Control, Inspect, Mailbox, Node, Panel, controlPanel, builtinPanel, RevokedSet, StateDb, ControlError, ControlArgumentError,
  StateDbError, type BroadcastOptions, type Reply, type InspectOptions, type ControlCommand, type ControlHandler, type ControlState,
} from '@cq/control';
export {
  EventDispatcher, EventReceiver, State, WorkerState, TaskState, LamportClock, appClock, Dumper, eventSettings,
  heartbeatExpires, HEARTBEAT_EXPIRE_WINDOW, EventsError, EventDispatcherError, EventReceiverError,
  type CeleryEvent, type EventDispatcherOptions, type EventReceiverOptions, type EventHandler, type StateOptions, type EventSettings,
} from '@cq/events';
export {
  Signature, signature, immutable, Chain, chain, Group, group, GroupResult, continueOnSuccess, continueOnFailure,
  CanvasError, SignatureDictError, UnsupportedCanvasError, CanvasUsageError, Chord, chord, ChordError, registerBuiltins,
  XMap, XStarmap, Chunks, xmap, xstarmap, chunks,
  type AnySignature, type CanvasApp, type SignatureInit, type SignatureOptions, type ResultOf,
} from '@cq/canvas';
export {
  Beat, scheduleFilename, Scheduler, ScheduleEntry, schedule, crontab, solar, IntervalSchedule, Crontab, Solar, SqliteScheduleStore,
  RedisLeaseLock, SqliteLeaseLock, BeatError, ScheduleParseError, ScheduleEntryError, BeatLockError,
  type BeatOptions, type SchedulerOptions, type BaseSchedule, type ScheduleState, type CrontabFields, type SolarEvent,
  type EntryDefinition, type EntryOptions, type BeatScheduleSetting, type ScheduleStore, type LeaseLock,
} from '@cq/beat';
