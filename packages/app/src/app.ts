/**
 * The Celery app: configuration, the task registry, and sending (Celery `celery/app/base.py`).
 *
 * ```ts
 * const app = new Celery('proj', { broker_url: 'sqlite:///.cq/broker.db' });
 * const add = app.task('proj.add', (x: number, y: number) => x + y);
 * const result = await add.delay(2, 3);
 * console.log(await result.get({ timeout: 10 })); // 5
 * ```
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Connection, Exchange, LamportClock, Producer, Queue, SerializerScope, TransportRegistry, type Channel, type Deduplicator, type QueueOptions } from '@cq/kombu';
import { BackendRegistry, type Backend } from '@cq/backend';
import {
  createSettings, resolveBrokerUrl, resolveResultBackend, type CelerySettings, type QueueSetting, type RouteSpec,
} from './config.js';
import { unknownSettingWarnings } from './known-settings.js';
import { ImproperlyConfigured, NotRegistered, QueueNotFound } from './errors.js';
import { createLogger, type Logger } from './logging.js';
import { buildTaskMessage } from './protocol/v2.js';
import type { BuildTaskOptions } from './protocol/types.js';
import { annotateTask } from './annotations.js';
import { addTrail, currentTask } from './context.js';
import { AsyncResult, type RevokeControl } from './result.js';
import { resolveRoute } from './routes.js';
import { nativeDelayedRoute } from './delayed-delivery.js';
import { createdQueueArguments } from './quorum-queues.js';
import { setupSecurity, type SetupSecurityOptions } from './security.js';
import { after_task_publish, before_task_publish } from './signals.js';
import { publishInTransaction, transactionalChannel } from './transactional.js';
import { chooseDeduplicator, sendDeduplicated } from './deduplication.js';
import { Task, type ApplyOptions, type InvokeWrapper, type TaskClass, type TaskOptions } from './task.js';
import type { BoundTaskContext, TaskCanvas } from './context.js';
import type { AppOptions, CeleryPlugin } from './plugin.js';
import type { ArgumentSchemas, SchemaArgs, SchemaParams, SchemaResult, SchemaReturn, StandardSchema } from './schema.js';

/** The parameters after the first (the task context of a bound task). */
type DropFirst<T extends unknown[]> = T extends [unknown, ...infer Rest] ? Rest : never;

/** The function of a task with `schema`: the schemas' outputs, after the context when bound. */
type SchemaTaskFunction<Bound extends boolean, P extends unknown[], R> = Bound extends true ? (context: BoundTaskContext, ...args: P) => R : (...args: P) => R;

/** The task type `app.task()` returns: `T`, with the members a `base` class adds to Task. */
type WithBase<T, B extends TaskClass> = [typeof Task] extends [B] ? T : T & Omit<InstanceType<B>, keyof Task>;

/**
 * Task options with the generic fields of an `app.task()` overload in place of TaskOptions' own
 * (an intersection would make TS compare a schema library's deep types with ArgumentSchemas).
 */
type TaskOptionsWith<O> = Omit<TaskOptions, keyof O> & O;

/**
 * The last `app.task()` overload takes options held in a `TaskOptions` variable (`{ ...options, bind }`),
 * typed `Task`; a literal `schema` whose function does not fit it must not land there unchecked, so
 * a `schema` narrower than `ArgumentSchemas` is refused (the schema overload's error is reported).
 */
type DynamicOptions<O> = O extends { schema?: infer S } ? (ArgumentSchemas extends S ? unknown : { schema: never }) : unknown;

/** A bootstep class (a `Step` subclass of @cq/worker); typed loosely here, checked by the worker's blueprint. */
export type BootstepClass = abstract new (...args: never[]) => object;

/** Overrides that beat configuration and environment (what `cq worker -b/--result-backend` sets). */
export interface AppOverrides {
  brokerUrl?: string;
  resultBackend?: string;
}

/** Marks Celery apps across copies of this package (see {@link Celery.isApp}). */
const APP_BRAND = Symbol.for('cq.app');

/** Sends the `task-sent` event for a published task; what the events plugin of @cq/events sets. */
export type TaskSentHook = (app: Celery, fields: Record<string, unknown>, via: { connection: Connection; channel: Channel }) => Promise<void>;

/**
 * The Celery app (Celery `celery.Celery`): configuration by Celery's setting names, the task
 * registry, sending, results, and the composition root of a cq stack. What it can reach is what its
 * plugins installed: broker transports (`app.transports`), result backends (`app.backends`), the
 * canvas behind `ctx.replace()` (`app.canvas`), task-sent events (`app.taskSentHook`).
 *
 * ```ts
 * const app = new Celery('proj', { broker_url: 'redis://localhost:6379/0' }, { plugins: [redisTransport()] });
 * const add = app.task('proj.add', (x: number, y: number) => x + y);
 * await (await add.delay(2, 3)).get({ timeout: 10 }); // 5 (timeout in seconds, as Celery)
 * ```
 * Import `Celery` from `@cq/celery` for the app with every bundled plugin already given.
 * @throws ImproperlyConfigured from `task()` for a nameless task or a non-function.
 */
export class Celery {
  readonly main: string;
  private readonly settings: CelerySettings;
  /** Unknown-setting warnings not yet logged: set when the constructor returns, logged by the next `conf` read. */
  private settingWarnings: string[] = [];
  readonly tasks = new Map<string, Task>();
  /** Client id put in `reply_to` of sent tasks (Python clients always send one). */
  readonly oid = randomUUID();
  /** `gen<pid>@<host>`: the `origin` header of messages this process sends. */
  readonly origin = `gen${process.pid}@${os.hostname()}`;
  /**
   * The app's one Lamport clock (Celery `app.clock`, kombu `LamportClock`): the events this process
   * sends and receives, its pidbox requests and replies, mingle's sync and the `--statedb` file all
   * move it, so a worker's replies and events are ordered by one counter.
   */
  readonly clock = new LamportClock();
  private overrides: AppOverrides = {};
  private warnedEager = false;
  private producerConnection: Connection | null = null;
  private producerReady: Promise<Producer> | null = null;
  private backendReady: Promise<Backend | null> | null = null;
  private deduplicatorReady: Promise<Deduplicator> | null = null;
  private logger: Logger | null = null;
  private readonly declaredQueues = new Map<string, Queue>();
  /**
   * Extra bootsteps for the worker's blueprint and for its consumer's (Celery `app.steps['worker']`
   * and `app.steps['consumer']`): `app.steps.worker.add(MyStep)` with a `Step` class from @cq/worker.
   * They start after the steps they `require`, and stop in reverse.
   */
  readonly steps: { worker: Set<BootstepClass>; consumer: Set<BootstepClass> } = { worker: new Set(), consumer: new Set() };
  /**
   * Sends the `task-sent` event when `task_send_sent_event` is true (Celery `send_task_message`); set
   * by the events plugin of @cq/events (`events()`), with the publishing connection and channel to
   * send on. Without it no `task-sent` event is sent.
   */
  taskSentHook: TaskSentHook | null = null;
  /**
   * What runs around every call of this app's task functions, wherever they run (in-process pools,
   * pool children that load the app module, eager calls), the first outermost: tracing plugins such
   * as @cq/opentelemetry's make their span current here. Empty by default: the call is direct.
   */
  readonly invokeWrappers: InvokeWrapper[] = [];
  /** Broker URL schemes this app can connect to; filled by transport plugins (`memory://` always works). */
  readonly transports = new TransportRegistry();
  /** Result backend URL schemes this app can use; filled by backend plugins (`memory://` always works). */
  readonly backends = new BackendRegistry();
  /**
   * This app's own serializers, consulted before kombu's process-wide registry by its producer and
   * its worker's task consumer: where {@link setupSecurity} registers `auth`.
   */
  readonly serializers = new SerializerScope();
  /** What `ctx.replace()` / `ctx.addToChord()` of this app's bound tasks call; set by the canvas plugin of @cq/canvas. */
  canvas: TaskCanvas | null = null;
  /** Remote control behind `AsyncResult.revoke()` (Celery `app.control`); set by the control plugin of @cq/control. */
  control: RevokeControl | null = null;
  /** The class `task()` instantiates unless given `base` (Celery `task_cls`); `AppOptions.taskCls`, default `Task`. */
  readonly taskCls: TaskClass;
  private readonly installed = new Map<string, CeleryPlugin>();
  /** See {@link Celery.isApp}. */
  readonly [APP_BRAND] = true;

  /**
   * @param main the app name (Celery `main`), used in task name prefixes and the banner.
   * @param config settings by Celery's names; see {@link CelerySettings}.
   * @param options `plugins` to install, in order (see {@link CeleryPlugin}).
   */
  constructor(main = 'default', config: Partial<CelerySettings> = {}, options: AppOptions = {}) {
    this.main = main;
    this.settings = createSettings(config);
    this.taskCls = options.taskCls ?? Task;
    this.use(...(options.plugins ?? []));
    // Logged by the first `conf` read after construction, so a logger set after `new Celery()` gets them.
    this.settingWarnings = unknownSettingWarnings(config);
  }

  /**
   * The settings (Celery `app.conf`): `DEFAULTS` merged with the config given to the
   * constructor; other packages' settings are read through their own function
   * (`workerSettings(app.conf)`, ...). A config key that no Celery 5.6 or cq setting has is kept, and
   * warned about once: the first read of `conf` after the constructor returned logs one warning per
   * unknown key through {@link log} — `unknown setting 'task_acks_lat' (did you mean
   * 'task_acks_late'?)` — so a logger set right after `new Celery()` (as `cq worker` does) receives it.
   * Settings Celery knows but cq does not implement are not warned about.
   */
  get conf(): CelerySettings {
    if (this.settingWarnings.length > 0) {
      const lines = this.settingWarnings;
      this.settingWarnings = [];
      for (const line of lines) this.log.warn(line);
    }
    return this.settings;
  }

  /**
   * Installs plugins into this app, in order; a plugin whose name is already installed is skipped.
   * Install before the first send or worker start. Returns the app.
   */
  use(...plugins: readonly CeleryPlugin[]): this {
    for (const plugin of plugins) {
      if (this.installed.has(plugin.name)) continue;
      this.installed.set(plugin.name, plugin);
      plugin.install(this);
    }
    return this;
  }

  /** Names of the installed plugins, in install order. */
  get plugins(): string[] {
    return [...this.installed.keys()];
  }

  /**
   * True for a Celery app, including one built by another copy of @cq/app (a project that installed
   * the packages twice) or a subclass such as @cq/celery's: what the CLI and pool children check an
   * app module's export with.
   */
  static isApp(value: unknown): value is Celery {
    return value instanceof Celery || (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[APP_BRAND] === true);
  }

  /**
   * Signs the task messages this app sends and accepts only signed ones (Celery
   * `app.setup_security()`, "Message Signing"): loads `security_key`, `security_certificate` and
   * `security_cert_store` (or `options`), registers the `auth` serializer in {@link serializers},
   * and sets `task_serializer = 'auth'`, `accept_content = ['auth']` and, when unset,
   * `result_accept_content`. Call it before the first send or worker start (an app module given to
   * `cq worker -A` calls it at its top level). See `security.ts`.
   * @throws ImproperlyConfigured for missing or unusable keys, certificates or settings.
   */
  setupSecurity(options: SetupSecurityOptions = {}): this {
    setupSecurity(this, options);
    return this;
  }

  /** Sets broker/result overrides (CLI flags). Call before the first send or worker start. */
  configure(overrides: AppOverrides): this {
    this.overrides = { ...this.overrides, ...overrides };
    return this;
  }

  /** The broker URL in effect and whether it is the embedded SQLite default. */
  get broker(): { url: string; embedded: boolean } {
    if (this.overrides.brokerUrl) return { url: this.overrides.brokerUrl, embedded: false };
    return resolveBrokerUrl(this.conf);
  }

  /** The result backend URL in effect, or null when results are disabled. */
  get resultBackendUrl(): string | null {
    return this.overrides.resultBackend ?? resolveResultBackend(this.conf, this.broker.embedded);
  }

  get log(): Logger {
    if (!this.logger) this.logger = createLogger();
    return this.logger;
  }

  set log(logger: Logger) {
    this.logger = logger;
  }

  /**
   * Registers a task. The function's parameter and return types become `Task<Args, Result>`.
   * With `{ bind: true }` the function receives the task context first. With `{ base: MyTask }` the
   * task is an instance of that Task subclass (Celery `base`): one instance per task name in each
   * process, so its handlers and fields are shared by all calls; the returned type has its members.
   * `task_annotations` are applied to the new task. Registering a name twice replaces the earlier task.
   * With `{ schema }` (Celery 5.5 `pydantic=True`, any Standard Schema: zod, valibot, arktype) the
   * task's arguments are the schemas' inputs and the function's parameters their outputs; with
   * `{ resultSchema }` the result is its output (see schema.ts and the README's "Argument schemas").
   * @throws ImproperlyConfigured for a nameless task, a non-function, or bad `task_annotations`.
   */
  task<F extends (...args: never[]) => unknown, RS extends StandardSchema | undefined = undefined, B extends TaskClass = typeof Task>(name: string, fn: F, options?: TaskOptionsWith<{ bind?: false; base?: B; schema?: undefined; resultSchema?: RS }>): WithBase<Task<Parameters<F>, SchemaResult<RS, ReturnType<F>>>, B>;
  task<F extends (context: BoundTaskContext, ...args: never[]) => unknown, RS extends StandardSchema | undefined = undefined, B extends TaskClass = typeof Task>(name: string, fn: F, options: TaskOptionsWith<{ bind: true; base?: B; schema?: undefined; resultSchema?: RS }>): WithBase<Task<DropFirst<Parameters<F>>, SchemaResult<RS, ReturnType<F>>>, B>;
  task<O extends TaskOptions>(name: string, fn: (...args: never[]) => unknown, options: O & DynamicOptions<O>): Task;
  task<const S extends ArgumentSchemas, R, RS extends StandardSchema | undefined = undefined, Bound extends boolean = false, B extends TaskClass = typeof Task>(name: string, fn: SchemaTaskFunction<Bound, SchemaParams<S>, SchemaReturn<RS, R>>, options: TaskOptionsWith<{ schema: S; resultSchema?: RS; bind?: Bound; base?: B }>): WithBase<Task<SchemaArgs<S>, SchemaResult<RS, R>>, B>;
  task(name: string, fn: (...args: never[]) => unknown, options: TaskOptions = {}): Task {
    if (typeof name !== 'string' || name === '') throw new ImproperlyConfigured('a task needs a non-empty name, e.g. app.task("proj.add", fn)');
    if (typeof fn !== 'function') throw new ImproperlyConfigured(`task ${name}: the second argument must be a function`);
    const Base = options.base ?? this.taskCls;
    const task = new Base(this, name, fn, options);
    if (!(task instanceof Task)) throw new ImproperlyConfigured(`task ${name}: base must be Task or a subclass of it`);
    annotateTask(task, this.conf.task_annotations);
    this.tasks.set(name, task);
    return task;
  }

  /** The registered task, or throws {@link NotRegistered}. */
  getTask(name: string): Task {
    const task = this.tasks.get(name);
    if (!task) throw new NotRegistered(name);
    return task;
  }

  /** A new, unconnected connection to the broker in effect, with `broker_transport_options` and `broker_use_ssl`. */
  connection(): Connection {
    const conf = this.conf;
    return new Connection(this.broker.url, {
      transportOptions: conf.broker_transport_options, transports: this.transports, ssl: conf.broker_use_ssl ?? null,
      failoverStrategy: conf.broker_failover_strategy ?? null,
    });
  }

  /** The queue entity for a name: from `task_queues` when listed there, else created as Celery does. */
  queue(name: string): Queue {
    let queue = this.declaredQueues.get(name);
    if (queue) return queue;
    const listed = (this.conf.task_queues ?? []).map(normalizeQueue).find((q) => q.name === name);
    if (!listed && !this.conf.task_create_missing_queues && name !== this.conf.task_default_queue) {
      throw new QueueNotFound(`queue ${JSON.stringify(name)} is not in task_queues and task_create_missing_queues is false: add it to task_queues`);
    }
    const isDefault = name === this.conf.task_default_queue;
    // A queue the app creates takes task_default_queue_type / task_create_missing_queue_type (quorum-queues.ts).
    const { name: _n, ...opts }: { name: string } & QueueOptions = listed ?? { name, queueArguments: createdQueueArguments(this.conf, isDefault) };
    // RabbitMQ refuses x-max-priority on a quorum queue: task_queue_max_priority is not applied to one.
    const quorum = opts.queueArguments?.['x-queue-type'] === 'quorum';
    const maxPriority = opts.maxPriority ?? (quorum ? undefined : this.conf.task_queue_max_priority ?? undefined);
    const exchangeName = isDefault ? this.conf.task_default_exchange ?? name : name;
    const missingType = listed ? null : this.conf.task_create_missing_queue_exchange_type;
    queue = new Queue(name, {
      exchange: new Exchange(exchangeName, { type: isDefault ? this.conf.task_default_exchange_type : missingType ?? 'direct' }),
      routingKey: isDefault ? this.conf.task_default_routing_key ?? name : name,
      ...(maxPriority === undefined ? {} : { maxPriority }),
      ...opts,
    });
    this.declaredQueues.set(name, queue);
    return queue;
  }

  /**
   * Every queue this app knows (Celery `app.amqp.queues`): `task_queues`, or the default queue, and
   * the queues created since for a route or a worker's `-Q`. What quorum-queue detection looks at.
   */
  knownQueues(): Queue[] {
    this.defaultQueues();
    return [...this.declaredQueues.values()];
  }

  /** Queues a worker consumes by default: `task_queues`, or the default queue. */
  defaultQueues(): Queue[] {
    const names = this.conf.task_queues?.map((q) => normalizeQueue(q).name) ?? [this.conf.task_default_queue];
    return names.map((n) => this.queue(n));
  }

  private producer(): Promise<Producer> {
    if (!this.producerReady) {
      this.producerReady = (async () => {
        this.producerConnection = this.connection();
        const channel: Channel = await this.producerConnection.channel();
        return new Producer(channel, { serializer: this.conf.task_serializer, compression: this.conf.task_compression, serializers: this.serializers });
      })();
      this.producerReady.catch(() => { this.producerReady = null; });
    }
    return this.producerReady;
  }

  /** The result backend, created on first use; null when results are disabled. */
  backend(): Promise<Backend | null> {
    if (!this.backendReady) {
      const url = this.resultBackendUrl;
      this.backendReady = url === null ? Promise.resolve(null) : this.backends.create(url, {
        serializer: this.conf.result_serializer,
        accept: this.conf.result_accept_content ?? this.conf.accept_content,
        expires: this.conf.result_expires,
        extended: this.conf.result_extended,
        oid: this.oid,
        brokerUrl: this.broker.url,
        brokerConnection: () => this.connection(),
        settings: this.conf as unknown as Readonly<Record<string, unknown>>,
      });
      this.backendReady.catch(() => { this.backendReady = null; });
    }
    return this.backendReady;
  }

  /**
   * Where `applyAsync(…, { deduplicationId })` keeps its keys (cq, beyond Celery; see
   * `deduplication.ts`): the broker transport's store when it keeps one (Redis, SQLite, PostgreSQL,
   * memory), else the result backend's (Redis). Chosen on first use, which connects the publishing
   * connection. Rejects with DeduplicationUnsupportedError when neither keeps one.
   */
  deduplicator(): Promise<Deduplicator> {
    if (!this.deduplicatorReady) {
      this.deduplicatorReady = chooseDeduplicator(async () => {
        await this.producer();
        return this.producerConnection!.transport;
      }, () => this.backend(), { broker: this.broker.url, backend: this.resultBackendUrl });
      this.deduplicatorReady.catch(() => { this.deduplicatorReady = null; });
    }
    return this.deduplicatorReady;
  }

  /** A handle on a result by task id. */
  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    return new AsyncResult<R>(id, () => this.backend(), this);
  }

  /**
   * Sends a task by name (Celery `send_task`); the task need not be registered here.
   * Resolves once the broker accepted the message. Throws EncodeError for unserializable
   * arguments, TransportError when the broker fails. With `options.transaction` (a `pg` client inside
   * `BEGIN`), the message is written in that transaction (see `transactional.ts`); brokers other than
   * PostgreSQL throw TransactionUnsupportedError before anything is sent. With
   * `options.deduplicationId`, a duplicate of a pending task sends nothing and resolves to that task's
   * result (see `deduplication.ts`; DeduplicationUnsupportedError / DeduplicationOptionsError).
   */
  async sendTask<R = unknown>(name: string, args: unknown[] | null = [], options: ApplyOptions = {}, task?: Task): Promise<AsyncResult<R>> {
    if (options.deduplicationId !== undefined) return sendDeduplicated<R>(this, name, args, options, task);
    const topts: TaskOptions = task?.options ?? this.tasks.get(name)?.options ?? {};
    if (this.conf.task_always_eager && !this.warnedEager) {
      // Celery's AlwaysEagerIgnored warning: only Task.delay/applyAsync run eagerly.
      this.warnedEager = true;
      this.log.warn('task_always_eager has no effect on send_task (nor on canvas signatures): the task is sent to the broker');
    }
    const kwargs = options.kwargs ?? {};
    const argv = args ?? [];
    // A Queue given as `queue` (e.g. workerDirect(hostname)) is used as it is, with its exchange and routing key.
    const direct = options.queue instanceof Queue ? options.queue : null;
    const lookup = (q: string): Queue => (direct && q === direct.name ? direct : this.queue(q));
    const exchangeName = options.exchange ?? direct?.exchange.name;
    const routingKey = options.routingKey ?? direct?.routingKey;
    // Options are copied field by field, not spread: this runs for every message sent.
    const given: RouteSpec = {};
    if (options.queue !== undefined) given.queue = direct ? direct.name : options.queue as string;
    if (exchangeName !== undefined) given.exchange = exchangeName;
    if (routingKey !== undefined) given.routing_key = routingKey;
    if (options.priority !== undefined) given.priority = options.priority;
    const route = resolveRoute(this.conf, given, task?.route() ?? {}, name, argv, kwargs, { queue: lookup, task });
    const id = options.taskId ?? randomUUID();
    // Celery send_task: a task sent while a task runs is its child (parent id, root id, request.children).
    const running = currentTask();
    const parentId = options.parentId ?? running?.request.id;
    const rootId = options.rootId ?? (running ? running.request.rootId || running.request.id : undefined);
    const expires = options.expires ?? topts.expires;
    const timeLimit = options.timeLimit ?? topts.timeLimit;
    const softTimeLimit = options.softTimeLimit ?? topts.softTimeLimit;
    const priority = route.priority ?? this.conf.task_default_priority ?? undefined;
    const ignoreResult = options.ignoreResult ?? topts.ignoreResult ?? this.conf.task_ignore_result;
    const build: BuildTaskOptions = {
      name, id, args: argv, kwargs, ignoreResult, replyTo: options.replyTo ?? this.oid,
      deliveryMode: this.conf.task_default_delivery_mode, origin: this.origin,
    };
    if (options.countdown !== undefined) build.countdown = options.countdown;
    if (options.eta !== undefined) build.eta = options.eta;
    if (expires !== undefined) build.expires = expires;
    if (timeLimit !== undefined) build.timeLimit = timeLimit;
    if (softTimeLimit !== undefined) build.softTimeLimit = softTimeLimit;
    if (priority !== undefined) build.priority = priority;
    if (options.shadow !== undefined) build.shadow = options.shadow;
    if (parentId !== undefined) build.parentId = parentId;
    if (rootId !== undefined) build.rootId = rootId;
    if (options.retries !== undefined) build.retries = options.retries;
    if (options.groupId != null) build.group = options.groupId;
    if (options.groupIndex != null) build.groupIndex = options.groupIndex;
    if (options.link != null) build.callbacks = options.link;
    if (options.linkError != null) build.errbacks = options.linkError;
    if (options.chain != null) build.chain = options.chain;
    if (options.chord != null) build.chord = options.chord;
    if (options.replacedTaskNesting !== undefined) build.replacedTaskNesting = options.replacedTaskNesting;
    if (options.headers !== undefined) build.headers = options.headers;
    const parts = buildTaskMessage(build);
    const producer = await this.producer();
    // Checked before anything is sent (and before the backend's on_task_call).
    const transaction = options.transaction ? { client: options.transaction, channel: transactionalChannel(producer.channel, this.broker.url) } : null;
    const queue = route.queue === '' ? null : lookup(route.queue);
    // Celery 5.5: with a quorum queue on RabbitMQ a countdown/ETA task waits in the broker's delay queues.
    const delayed = transaction || (!options.countdown && options.eta === undefined) ? null : await nativeDelayedRoute(this, producer.channel, this.producerConnection?.transport.driverType ?? '', {
      route, queue, countdown: options.countdown, eta: options.eta,
    });
    const publishExchange = delayed?.exchange ?? route.exchange;
    const publishKey = delayed?.routingKey ?? route.routingKey;
    if (!ignoreResult) {
      // Celery's on_task_call: e.g. rpc:// declares this client's reply queue before the task can answer.
      await (await this.backend())?.onTaskCall(id);
    }
    const headers = parts.headers as unknown as Record<string, unknown>;
    const properties: Record<string, unknown> = { ...parts.properties };
    const declare = queue ? [queue] : [];
    if (before_task_publish.receivers > 0) {
      before_task_publish.send(name, { body: parts.body, exchange: publishExchange, routingKey: publishKey, headers, properties, declare, retryPolicy: null, app: this });
    }
    const publishOptions = {
      exchange: publishExchange,
      routingKey: publishKey,
      serializer: options.serializer ?? topts.serializer ?? this.conf.task_serializer,
      compression: options.compression === undefined ? topts.compression ?? this.conf.task_compression : options.compression,
      headers,
      properties,
      deliveryMode: parts.properties.delivery_mode,
      priority: parts.properties.priority,
      declare,
      retry: this.conf.task_publish_retry,
      retryPolicy: this.conf.task_publish_retry_policy,
    };
    if (transaction) await publishInTransaction(producer, transaction.channel, transaction.client, parts.body, publishOptions);
    else await producer.publish(parts.body, publishOptions);
    if (after_task_publish.receivers > 0) after_task_publish.send(name, { headers, body: parts.body, exchange: publishExchange, routingKey: publishKey, app: this });
    // No task-sent event for a transactional enqueue: whether the task exists is decided by a commit we do not see.
    if (this.conf.task_send_sent_event && this.taskSentHook && this.producerConnection && !transaction) {
      await this.taskSentHook(this, {
        uuid: id, root_id: headers['root_id'] ?? null, parent_id: headers['parent_id'] ?? null, name, args: headers['argsrepr'],
        kwargs: headers['kwargsrepr'], retries: headers['retries'] ?? 0, eta: headers['eta'] ?? null, expires: headers['expires'] ?? null,
        queue: route.queue, exchange: publishExchange, routing_key: publishKey,
      }, { connection: this.producerConnection, channel: producer.channel });
    }
    const result = this.asyncResult<R>(id);
    return running && options.addToParent !== false ? addTrail(result) : result;
  }

  /** Closes the publishing connection, the result backend and the remote control client. */
  async close(): Promise<void> {
    await this.control?.close?.().catch(() => undefined);
    const conn = this.producerConnection;
    this.producerConnection = null;
    this.producerReady = null;
    this.deduplicatorReady = null;
    if (conn) await conn.close();
    const backend = this.backendReady ? await this.backendReady.catch(() => null) : null;
    this.backendReady = null;
    if (backend) await backend.close();
  }
}

function normalizeQueue(q: QueueSetting): { name: string } & QueueOptions {
  return typeof q === 'string' ? { name: q } : q;
}
