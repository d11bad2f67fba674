/** The rpc:// result backend (Celery `celery/backends/rpc.py`); see {@link RpcBackend}. */
import { randomUUID } from 'node:crypto';
import {
  Backend, BackendConfigurationError, READY_STATES, SUCCESS, type BackendOptions, type GroupMeta, type TaskMeta,
  type TaskRequest, type State,
} from '@cq/backend';
import { Connection, Consumer, Exchange, Producer, Queue, type Channel, type Message } from '@cq/kombu';
import { RpcNotImplementedError } from './errors.js';

export interface RpcBackendOptions extends BackendOptions {
  /**
   * Use this kombu Connection for replies; it is not closed by `close()`. Otherwise the backend
   * opens one with `brokerConnection` (which the app sets: the broker Celery's rpc:// takes from
   * `broker_url`) and closes it on `close()`. One of the two is required.
   */
  connection?: Connection;
  /**
   * Name of this client's reply queue (Celery `app.thread_oid`); the app passes `app.oid`, the value
   * it puts in every task's `reply_to`. Default: a random UUID. Only the client side uses it.
   */
  oid?: string;
  /** Send replies with delivery mode 2 instead of 1 (Celery `result_persistent`). Default false. */
  persistent?: boolean;
}

/** The reply fields a worker's request carries (Celery `Context.reply_to` / `correlation_id`). */
interface ReplyFields {
  replyTo?: string | null;
  reply_to?: string | null;
  correlationId?: string | null;
  correlation_id?: string | null;
}

/**
 * The rpc:// result backend (Celery `celery/backends/rpc.py` `RPCBackend`): results are not stored
 * anywhere, each state change is sent as one AMQP message straight to the client that sent the task.
 *
 * Worker side (`storeResult` and the `markAs*` helpers): publishes to the default exchange `''` with
 * routing key = the request's `reply_to`, `correlation_id` = the request's correlation id (else the
 * task id), delivery mode 1 (2 with `persistent`), content type of the result serializer, body
 * `{task_id, status, result, traceback, children}` (Celery ≤ 5.6). It never declares the queue; a
 * request without `reply_to` publishes nothing (as Celery).
 *
 * Client side (`onTaskCall`, `getTaskMeta`, `waitFor`): the reply queue is named after the client's
 * `oid` and declared as Celery does (non-durable, auto-delete, `x-expires` = `expires` in ms). It is
 * consumed without acks; the latest state of every task id is kept in memory (a stored SUCCESS is
 * never replaced), replies for tasks nobody asked about yet are buffered too.
 *
 * Options ({@link RpcBackendOptions}): `connection` (a kombu Connection, not closed by `close()`) or
 * `brokerConnection` (set by the app; the backend opens and closes its own), `oid` (the reply queue,
 * default a random UUID; the app passes `app.oid`), `persistent` (Celery `result_persistent`,
 * default false), plus the base options (`expires` in **seconds** becomes the queue's `x-expires`).
 *
 * Errors: the constructor throws `BackendConfigurationError` without `connection` or
 * `brokerConnection`; groups and chords throw `RpcNotImplementedError` (Celery: rpc:// has no
 * chords); broker failures reach the caller as the transport's kombu errors (`ConnectionError`, ...).
 */
export class RpcBackend extends Backend {
  /** This client's reply queue name (see {@link RpcBackendOptions.oid}). */
  readonly oid: string;
  /** Delivery mode of replies: 1 transient, 2 persistent. */
  readonly deliveryMode: 1 | 2;
  readonly connection: Connection;
  readonly #ownsConnection: boolean;
  /** Latest state per task id received on the reply queue. */
  readonly #buffer = new Map<string, TaskMeta>();
  /** The request each meta was built for, so `_storeResult` can find `reply_to`. */
  readonly #requests = new WeakMap<TaskMeta, TaskRequest>();
  #producer: Promise<Producer> | null = null;
  #consuming: Promise<{ channel: Channel; consumer: Consumer }> | null = null;

  /**
   * @throws BackendConfigurationError without `connection` or `brokerConnection`, or for a bad
   *         serializer or `expires`.
   */
  constructor(options: RpcBackendOptions = {}) {
    super({ ...options, url: options.url ?? 'rpc://' });
    this.oid = options.oid ?? randomUUID();
    this.deliveryMode = options.persistent ? 2 : 1;
    if (options.connection) {
      this.connection = options.connection;
      this.#ownsConnection = false;
    } else if (options.brokerConnection) {
      this.connection = options.brokerConnection();
      this.#ownsConnection = true;
    } else {
      throw new BackendConfigurationError(
        'the rpc:// result backend sends results through the broker, but no broker connection was given: ' +
          'create it through the app (app.backend()), or pass { connection } (a kombu Connection) or { brokerConnection }',
      );
    }
  }

  /**
   * The registry's factory for `rpc://` (Celery `result_backend = 'rpc://'`). Anything after the
   * scheme is ignored: the broker comes from `options.brokerConnection` (set by the app).
   * @throws BackendConfigurationError when `options.brokerConnection` (or `connection`) is missing.
   */
  static fromUrl(url: string, options: RpcBackendOptions = {}): RpcBackend {
    return new RpcBackend({ ...options, url });
  }

  /** The reply queue as Celery declares it (`RPCBackend.binding`): non-durable, auto-delete, `x-expires`. */
  get replyQueue(): Queue {
    return new Queue(this.oid, {
      exchange: new Exchange(''),
      routingKey: this.oid,
      durable: false,
      autoDelete: true,
      ...(this.expires === null ? {} : { expires: this.expires }),
    });
  }

  /**
   * Declare the reply queue and start consuming it (Celery `on_task_call`). Call it before sending a
   * task whose `reply_to` is {@link oid}: a reply sent before the queue exists is dropped by the broker.
   * Idempotent; `getTaskMeta` and `waitFor` call it too.
   */
  override async onTaskCall(_taskId?: string): Promise<void> {
    this.assertOpen();
    await this.#startConsuming();
  }

  /** Always throws: rpc:// has no chords (Celery `ensure_chords_allowed`). @throws RpcNotImplementedError */
  ensureChordsAllowed(): never {
    throw new RpcNotImplementedError('chord');
  }

  // ---------------------------------------------------------------------------------------- hooks

  /** Remember the request behind each meta: the base hands `_storeResult` only the meta. */
  protected override resultMeta(taskId: string, result: unknown, state: State, traceback: string | null, request: TaskRequest | null): TaskMeta {
    const meta = super.resultMeta(taskId, result, state, traceback, request);
    if (request) this.#requests.set(meta, request);
    return meta;
  }

  /** Celery `RPCBackend.store_result`: one message to the request's `reply_to`; false when it has none. */
  protected async _storeResult(taskId: string, meta: TaskMeta): Promise<boolean> {
    const request = (this.#requests.get(meta) ?? {}) as ReplyFields;
    const replyTo = request.replyTo ?? request.reply_to;
    if (!replyTo) return false;
    const body = { task_id: taskId, status: meta.status, result: meta.result, traceback: meta.traceback, children: meta.children };
    const producer = await this.#getProducer();
    await producer.publish(body, {
      routingKey: replyTo,
      correlationId: request.correlationId ?? request.correlation_id ?? taskId,
      serializer: this.serializer,
      deliveryMode: this.deliveryMode,
    });
    return true;
  }

  /** The latest state received for the task, or null (then the base reads PENDING). */
  protected async _getTaskMetaFor(taskId: string): Promise<TaskMeta | null> {
    await this.#startConsuming();
    return this.#buffer.get(taskId) ?? null;
  }

  /** Drops the buffered state. */
  protected async _forget(taskId: string): Promise<void> {
    this.#buffer.delete(taskId);
  }

  protected async _saveGroup(): Promise<void> {
    throw new RpcNotImplementedError('saveGroup');
  }

  protected async _restoreGroup(): Promise<GroupMeta | null> {
    throw new RpcNotImplementedError('restoreGroup');
  }

  protected async _deleteGroup(): Promise<void> {
    throw new RpcNotImplementedError('deleteGroup');
  }

  /** Nothing is stored; the broker expires the reply queue itself. */
  protected async _cleanup(): Promise<void> {}

  /** Results are messages, expired by the broker (Celery's RPCBackend `supports_autoexpire = True`). */
  override get supportsAutoexpire(): boolean {
    return true;
  }

  /** Stops consuming and closes the connection when this backend opened it. */
  protected override async _close(): Promise<void> {
    const consuming = this.#consuming;
    this.#consuming = null;
    this.#producer = null;
    if (consuming) {
      await consuming.then(({ consumer, channel }) => consumer.cancel().finally(() => channel.close())).catch(() => undefined);
    }
    if (this.#ownsConnection) await this.connection.close();
  }

  // ---------------------------------------------------------------------------------------- internals

  #getProducer(): Promise<Producer> {
    if (!this.#producer) {
      const producer = this.connection.defaultChannel().then((channel) => new Producer(channel, { serializer: this.serializer }));
      producer.catch(() => {
        if (this.#producer === producer) this.#producer = null;
      });
      this.#producer = producer;
    }
    return this.#producer;
  }

  async #startConsuming(): Promise<void> {
    if (!this.#consuming) {
      const consuming = (async () => {
        const channel = await this.connection.channel();
        const consumer = new Consumer(channel, {
          queues: [this.replyQueue],
          noAck: true,
          accept: this.accept,
          onMessage: (message) => this.#onReply(message),
        });
        try {
          await consumer.consume();
        } catch (err) {
          await channel.close().catch(() => undefined);
          throw err;
        }
        return { channel, consumer };
      })();
      consuming.catch(() => {
        if (this.#consuming === consuming) this.#consuming = null;
      });
      this.#consuming = consuming;
    }
    await this.#consuming;
  }

  /** Celery `ResultConsumer.on_state_change` / `_get_message_task_id`: keep the latest state per id. */
  #onReply(message: Message): void {
    let body: unknown;
    try {
      body = message.payload;
    } catch (err) {
      process.emitWarning(`rpc:// reply ${message.properties.correlation_id ?? ''} could not be decoded (${message.contentType}): ${String(err)}`, {
        code: 'CQ_BACKEND_RPC_DECODE',
      });
      return;
    }
    if (typeof body !== 'object' || body === null || typeof (body as { status?: unknown }).status !== 'string') return;
    const reply = body as Partial<TaskMeta> & Record<string, unknown>;
    const taskId = message.properties.correlation_id || (typeof reply.task_id === 'string' ? reply.task_id : '');
    if (!taskId) return;
    if (this.#buffer.get(taskId)?.status === SUCCESS) return;
    const meta = {
      status: reply.status,
      result: reply.result ?? null,
      traceback: reply.traceback ?? null,
      children: reply.children ?? [],
      date_done: reply.date_done ?? null,
      ...reply,
      task_id: taskId,
    } as TaskMeta;
    this.#buffer.set(taskId, meta);
    if (READY_STATES.has(meta.status)) this.wakeWaiters(taskId);
  }
}
