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
import { Connection, Exchange, Producer, Queue, type Channel, type QueueOptions } from '@cq/kombu';
import { createBackend, type Backend } from '@cq/backend';
import {
  createSettings, resolveBrokerUrl, resolveResultBackend, type CelerySettings, type QueueSetting,
} from './config.js';
import { ImproperlyConfigured, NotRegistered, QueueNotFound } from './errors.js';
import { createLogger, type Logger } from './logging.js';
import { buildTaskMessage } from './protocol/v2.js';
import { AsyncResult } from './result.js';
import { resolveRoute } from './routes.js';
import { after_task_publish, before_task_publish } from './signals.js';
import { Task, type ApplyOptions, type TaskOptions } from './task.js';
import type { BoundTaskContext } from './context.js';

/** The parameters after the first (the task context of a bound task). */
type DropFirst<T extends unknown[]> = T extends [unknown, ...infer Rest] ? Rest : never;

/** A bootstep class (a `Step` subclass of @cq/worker); typed loosely here, checked by the worker's blueprint. */
export type BootstepClass = abstract new (...args: never[]) => object;

/** Overrides that beat configuration and environment (what `cq worker -b/--result-backend` sets). */
export interface AppOverrides {
  brokerUrl?: string;
  resultBackend?: string;
}

export class Celery {
  readonly main: string;
  readonly conf: CelerySettings;
  readonly tasks = new Map<string, Task>();
  /** Client id put in `reply_to` of sent tasks (Python clients always send one). */
  readonly oid = randomUUID();
  /** `gen<pid>@<host>`: the `origin` header of messages this process sends. */
  readonly origin = `gen${process.pid}@${os.hostname()}`;
  private overrides: AppOverrides = {};
  private producerConnection: Connection | null = null;
  private producerReady: Promise<Producer> | null = null;
  private backendReady: Promise<Backend | null> | null = null;
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
   * by @cq/events when it is loaded, with the publishing connection and channel to send on.
   */
  static taskSentHook: ((app: Celery, fields: Record<string, unknown>, via: { connection: Connection; channel: Channel }) => Promise<void>) | null = null;

  /**
   * @param main the app name (Celery `main`), used in task name prefixes and the banner.
   * @param config settings by Celery's names; see {@link CelerySettings}.
   */
  constructor(main = 'default', config: Partial<CelerySettings> = {}) {
    this.main = main;
    this.conf = createSettings(config);
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
   * With `{ bind: true }` the function receives the task context first. Registering a name twice
   * replaces the earlier task.
   */
  task<F extends (...args: never[]) => unknown>(name: string, fn: F, options?: TaskOptions & { bind?: false }): Task<Parameters<F>, Awaited<ReturnType<F>>>;
  task<F extends (context: BoundTaskContext, ...args: never[]) => unknown>(name: string, fn: F, options: TaskOptions & { bind: true }): Task<DropFirst<Parameters<F>>, Awaited<ReturnType<F>>>;
  task(name: string, fn: (...args: never[]) => unknown, options: TaskOptions = {}): Task {
    if (typeof name !== 'string' || name === '') throw new ImproperlyConfigured('a task needs a non-empty name, e.g. app.task("proj.add", fn)');
    if (typeof fn !== 'function') throw new ImproperlyConfigured(`task ${name}: the second argument must be a function`);
    const task = new Task(this, name, fn, options);
    this.tasks.set(name, task);
    return task;
  }

  /** The registered task, or throws {@link NotRegistered}. */
  getTask(name: string): Task {
    const task = this.tasks.get(name);
    if (!task) throw new NotRegistered(name);
    return task;
  }

  /** A new, unconnected connection to the broker in effect. */
  connection(): Connection {
    return new Connection(this.broker.url, { transportOptions: this.conf.broker_transport_options });
  }

  /** The queue entity for a name: from `task_queues` when listed there, else created as Celery does. */
  queue(name: string): Queue {
    let queue = this.declaredQueues.get(name);
    if (queue) return queue;
    const listed = (this.conf.task_queues ?? []).map(normalizeQueue).find((q) => q.name === name);
    if (!listed && !this.conf.task_create_missing_queues && name !== this.conf.task_default_queue) {
      throw new QueueNotFound(`queue ${JSON.stringify(name)} is not in task_queues and task_create_missing_queues is false: add it to task_queues`);
    }
    const { name: _n, ...opts }: { name: string } & QueueOptions = listed ?? { name };
    const maxPriority = opts.maxPriority ?? this.conf.task_queue_max_priority ?? undefined;
    const isDefault = name === this.conf.task_default_queue;
    const exchangeName = isDefault ? this.conf.task_default_exchange ?? name : name;
    queue = new Queue(name, {
      exchange: new Exchange(exchangeName, { type: isDefault ? this.conf.task_default_exchange_type : 'direct' }),
      routingKey: isDefault ? this.conf.task_default_routing_key ?? name : name,
      ...(maxPriority === undefined ? {} : { maxPriority }),
      ...opts,
    });
    this.declaredQueues.set(name, queue);
    return queue;
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
        return new Producer(channel, { serializer: this.conf.task_serializer, compression: this.conf.task_compression });
      })();
      this.producerReady.catch(() => { this.producerReady = null; });
    }
    return this.producerReady;
  }

  /** The result backend, created on first use; null when results are disabled. */
  backend(): Promise<Backend | null> {
    if (!this.backendReady) {
      const url = this.resultBackendUrl;
      this.backendReady = url === null ? Promise.resolve(null) : createBackend(url, {
        serializer: this.conf.result_serializer,
        accept: this.conf.result_accept_content ?? this.conf.accept_content,
        expires: this.conf.result_expires,
        extended: this.conf.result_extended,
        oid: this.oid,
        brokerUrl: this.broker.url,
      });
      this.backendReady.catch(() => { this.backendReady = null; });
    }
    return this.backendReady;
  }

  /** A handle on a result by task id. */
  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    return new AsyncResult<R>(id, () => this.backend());
  }

  /**
   * Sends a task by name (Celery `send_task`); the task need not be registered here.
   * Resolves once the broker accepted the message. Throws EncodeError for unserializable
   * arguments, TransportError when the broker fails.
   */
  async sendTask<R = unknown>(name: string, args: unknown[] | null = [], options: ApplyOptions = {}, task?: Task): Promise<AsyncResult<R>> {
    const topts: TaskOptions = task?.options ?? this.tasks.get(name)?.options ?? {};
    const kwargs = options.kwargs ?? {};
    const argv = args ?? [];
    const route = resolveRoute(this.conf, {
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      ...(options.exchange === undefined ? {} : { exchange: options.exchange }),
      ...(options.routingKey === undefined ? {} : { routing_key: options.routingKey }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
    }, task?.route() ?? {}, name, argv, kwargs, { queue: (q) => this.queue(q), task });
    const id = options.taskId ?? randomUUID();
    const expires = options.expires ?? topts.expires;
    const timeLimit = options.timeLimit ?? topts.timeLimit;
    const softTimeLimit = options.softTimeLimit ?? topts.softTimeLimit;
    const priority = route.priority ?? this.conf.task_default_priority ?? undefined;
    const ignoreResult = options.ignoreResult ?? topts.ignoreResult ?? this.conf.task_ignore_result;
    const parts = buildTaskMessage({
      name, id, args: argv, kwargs,
      ...(options.countdown === undefined ? {} : { countdown: options.countdown }),
      ...(options.eta === undefined ? {} : { eta: options.eta }),
      ...(expires === undefined ? {} : { expires }),
      ...(timeLimit === undefined ? {} : { timeLimit }),
      ...(softTimeLimit === undefined ? {} : { softTimeLimit }),
      ...(priority === undefined ? {} : { priority }),
      ...(options.shadow === undefined ? {} : { shadow: options.shadow }),
      ...(options.parentId === undefined ? {} : { parentId: options.parentId }),
      ...(options.rootId === undefined ? {} : { rootId: options.rootId }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.groupId == null ? {} : { group: options.groupId }),
      ...(options.groupIndex == null ? {} : { groupIndex: options.groupIndex }),
      ...(options.link == null ? {} : { callbacks: options.link }),
      ...(options.linkError == null ? {} : { errbacks: options.linkError }),
      ...(options.chain == null ? {} : { chain: options.chain }),
      ...(options.chord == null ? {} : { chord: options.chord }),
      ...(options.replacedTaskNesting === undefined ? {} : { replacedTaskNesting: options.replacedTaskNesting }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ignoreResult,
      replyTo: options.replyTo ?? this.oid,
      deliveryMode: this.conf.task_default_delivery_mode,
      origin: this.origin,
    });
    const producer = await this.producer();
    const queue = route.queue === '' ? null : this.queue(route.queue);
    if (!ignoreResult) {
      // Celery's on_task_call: e.g. rpc:// declares this client's reply queue before the task can answer.
      await (await this.backend())?.onTaskCall(id);
    }
    const headers = parts.headers as unknown as Record<string, unknown>;
    const properties: Record<string, unknown> = { ...parts.properties };
    const declare = queue ? [queue] : [];
    before_task_publish.send(name, { body: parts.body, exchange: route.exchange, routingKey: route.routingKey, headers, properties, declare, retryPolicy: null });
    await producer.publish(parts.body, {
      exchange: route.exchange,
      routingKey: route.routingKey,
      serializer: options.serializer ?? topts.serializer ?? this.conf.task_serializer,
      compression: options.compression === undefined ? topts.compression ?? this.conf.task_compression : options.compression,
      headers,
      properties,
      deliveryMode: parts.properties.delivery_mode,
      priority: parts.properties.priority,
      declare,
      retry: this.conf.task_publish_retry,
      retryPolicy: this.conf.task_publish_retry_policy,
    });
    after_task_publish.send(name, { headers, body: parts.body, exchange: route.exchange, routingKey: route.routingKey });
    if (this.conf['task_send_sent_event'] === true && Celery.taskSentHook && this.producerConnection) {
      await Celery.taskSentHook(this, {
        uuid: id, root_id: headers['root_id'] ?? null, parent_id: headers['parent_id'] ?? null, name, args: headers['argsrepr'],
        kwargs: headers['kwargsrepr'], retries: headers['retries'] ?? 0, eta: headers['eta'] ?? null, expires: headers['expires'] ?? null,
        queue: route.queue, exchange: route.exchange, routing_key: route.routingKey,
      }, { connection: this.producerConnection, channel: producer.channel });
    }
    return this.asyncResult<R>(id);
  }

  /** Closes the publishing connection and the result backend. */
  async close(): Promise<void> {
    const conn = this.producerConnection;
    this.producerConnection = null;
    this.producerReady = null;
    if (conn) await conn.close();
    const backend = this.backendReady ? await this.backendReady.catch(() => null) : null;
    this.backendReady = null;
    if (backend) await backend.close();
  }
}

function normalizeQueue(q: QueueSetting): { name: string } & QueueOptions {
  return typeof q === 'string' ? { name: q } : q;
}
