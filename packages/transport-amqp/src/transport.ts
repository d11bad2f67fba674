/** The AMQP 0-9-1 transport (kombu `kombu/transport/pyamqp.py`); see {@link AmqpTransport}. */
import type * as Amqplib from 'amqplib';
import {
  ConnectionError, OperationalError, nextFailoverIndex, type BrokerSsl, type InvalidMessageReport, type InvalidMessageSink, type BrokerUrl, type Channel,
  type FailoverStrategy, type Transport, type TransportCapabilities, type TransportDefinition,
} from '@cq/kombu';
import { amqplib } from './amqplib.js';
import { AmqpChannel } from './channel.js';
import { connectFailure, isRecoverable, toTransportError } from './errors.js';
import { resolveOptions, retryDelay, type ResolvedOptions } from './options.js';

/**
 * The AMQP 0-9-1 transport (kombu `kombu/transport/pyamqp.py` `Transport`): RabbitMQ through
 * amqplib, declaring exactly what Celery declares.
 *
 * Features: real exchanges, bindings, basic.qos, acks and redelivery done by the broker; priorities
 * (queues need `x-max-priority`, higher first); publisher confirms; header tables typed the way
 * py-amqp reads and writes them (`field-table.ts`, `amqplib.ts`); automatic reconnect with kombu's
 * linear backoff, after which each channel declares its entities again and resumes its consumers;
 * quorum queues (a per-consumer prefetch, `qos(n, false)`) and kombu's native delayed delivery
 * (channels offer kombu's `NativeDelayedDelivery`; see `native-delayed-delivery.ts`).
 *
 * URL: `amqp://user:pass@host:5672/vhost` (also `pyamqp://`, and `amqps://` for TLS on 5671).
 * `amqp://host//` and `amqp://host/` both mean vhost `/` (kombu's rule). A `;`-separated list
 * (`amqp://a//;amqp://b//`, Celery's `broker_url` failover) names nodes of one cluster: `connect`
 * takes the first that answers, and after a lost connection the reconnect walks the list the kombu
 * way (`broker_failover_strategy`): the next URL at once, the back-off only after a whole round
 * failed. TLS settings come from
 * Celery's `broker_use_ssl` (`ca_certs`, `certfile`, `keyfile`, `cert_reqs`, `server_hostname`; see
 * `tls.ts`), which also turns TLS on for an `amqp://` URL, as in kombu.
 *
 * Options (Celery `broker_transport_options`), times in **seconds**: `heartbeat` (120),
 * `confirm_publish` (true), `connect_timeout` (4), `max_retries` (100, `null` = forever),
 * `interval_start` (2), `interval_step` (2), `interval_max` (30).
 *
 * Errors (kombu's classes, mapped in errors.ts): the constructor throws `ConfigurationError` for a
 * URL of another scheme or an option that is not a number of seconds >= 0; socket failures and a
 * lost or refused connection are a recoverable `ConnectionError` (also what `connect` rejects with
 * once `max_retries` reconnects failed); a refused TLS handshake is kombu's `TlsError` and refused
 * credentials or vhost an `AuthenticationError`, neither retried (they end a reconnect at once); 404 is `NotFoundError`, other channel-closing replies
 * (403, 405, 406 `PRECONDITION_FAILED`, ...) `ChannelError`; a closed channel or transport throws
 * `OperationalError`.
 */
export class AmqpTransport implements Transport, InvalidMessageSink {
  readonly driverType = 'amqp';
  /** Receives reports of messages dropped because their headers cannot be read (see channel.ts); null: a process warning. */
  onInvalidMessage: ((report: InvalidMessageReport) => void) | null = null;
  readonly capabilities: TransportCapabilities = { priorityOrder: 'higher-first', persistent: true, redeliversUnacked: true, fanout: true };
  /** Resolved connect arguments and retry policy (of the first URL). */
  readonly options: ResolvedOptions;
  /** The connect arguments of each failover URL, `options` first. */
  private readonly targets: ResolvedOptions[];
  /** Index in `targets` of the URL in use (or tried next). */
  private target = 0;
  private readonly failoverStrategy: FailoverStrategy;
  private current: Amqplib.ChannelModel | null = null;
  /** Pending while (re)connecting; rejects when reconnecting gave up. */
  private connecting: Promise<Amqplib.ChannelModel> | null = null;
  private closing = false;
  private readonly channels = new Set<AmqpChannel>();
  /** Number of successful reconnects since `connect()`, for tests and monitoring. */
  reconnects = 0;

  /**
   * @param ssl Celery `broker_use_ssl` (true or py-amqp's dict: `ca_certs`, `certfile`, `keyfile`,
   *   `cert_reqs`, `server_hostname`); see `tls.ts`. The files are read here.
   * @param failover every URL of a `;`-separated broker URL (`url` first) and Celery's
   *   `broker_failover_strategy`; default: `url` alone.
   * @throws ConfigurationError for a bad URL, option or TLS setting, or an unreadable TLS file.
   */
  constructor(url: BrokerUrl, options: Record<string, unknown> = {}, ssl: BrokerSsl = null,
    failover: { alternates?: readonly BrokerUrl[]; strategy?: FailoverStrategy } = {}) {
    const urls = failover.alternates && failover.alternates.length > 0 ? failover.alternates : [url];
    this.targets = urls.map((u) => resolveOptions(u, options, ssl));
    this.options = this.targets[0]!;
    this.failoverStrategy = failover.strategy ?? 'round-robin';
  }

  /** `host:port` of the broker in use, or of the one tried next while disconnected. */
  get brokerAddress(): string {
    const { hostname, port } = this.targets[this.target]!.connect;
    return `${hostname}:${port}`;
  }

  get isConnected(): boolean {
    return this.current !== null && !this.closing;
  }

  /** True when `publish()` waits for publisher confirms (`confirm_publish`). */
  get confirmPublish(): boolean {
    return this.options.confirmPublish;
  }

  /**
   * Opens the connection: one attempt per failover URL, in order from the one in use, until one
   * answers. Rejects with {@link ConnectionError} when none is reachable, with kombu's TlsError /
   * AuthenticationError at once when a handshake or login is refused.
   */
  async connect(): Promise<void> {
    this.closing = false;
    if (this.current) return;
    this.connecting ??= this.openAny().finally(() => { this.connecting = null; });
    await this.connecting;
  }

  async createChannel(): Promise<Channel> {
    await this.model();
    const channel = new AmqpChannel(this);
    this.channels.add(channel);
    return channel;
  }

  /** Closes every channel and the connection; no reconnect follows. */
  async close(): Promise<void> {
    this.closing = true;
    for (const channel of this.channels) channel.flushAcks(); // acks of this turn go before the close
    const model = this.current;
    this.current = null;
    this.channels.clear();
    if (model) await model.close().catch(() => undefined);
  }

  /** The live amqplib connection, waiting for a reconnect in progress. @internal */
  async model(): Promise<Amqplib.ChannelModel> {
    if (this.closing) throw new OperationalError('the AMQP transport is closed');
    if (this.current) return this.current;
    if (this.connecting) return this.connecting;
    throw new ConnectionError('not connected to the AMQP broker: call connect() first');
  }

  /** @internal */
  forgetChannel(channel: AmqpChannel): void {
    this.channels.delete(channel);
  }

  private async openAny(): Promise<Amqplib.ChannelModel> {
    for (let tried = 1; ; tried++) {
      try {
        return await this.open();
      } catch (err) {
        if (!isRecoverable(err) || tried >= this.targets.length) throw err;
        this.target = nextFailoverIndex(this.target, this.targets.length, 'round-robin');
      }
    }
  }

  /** One attempt at the URL in use. */
  private async open(): Promise<Amqplib.ChannelModel> {
    const target = this.targets[this.target]!;
    let model: Amqplib.ChannelModel;
    try {
      model = await amqplib.connect(target.connect, { ...target.socket });
    } catch (err) {
      const { hostname, port, vhost, username, protocol } = target.connect;
      throw connectFailure(err, { hostname, port, vhost, username, tls: protocol === 'amqps' });
    }
    model.on('error', () => undefined); // the 'close' event follows and carries the same error
    model.on('close', (err?: Error) => this.onClose(model, err));
    this.current = model;
    return model;
  }

  private onClose(model: Amqplib.ChannelModel, err?: Error): void {
    if (this.current !== model) return;
    this.current = null;
    if (this.closing) return;
    for (const channel of this.channels) channel.connectionLost();
    this.connecting = this.reconnect(toTransportError(err ?? new Error('connection closed'), 'connected'));
    this.connecting.catch(() => undefined).finally(() => { this.connecting = null; });
  }

  /**
   * kombu `ensure_connection`: retries with a linear backoff, then restores every channel. A failure
   * no retry can fix (TLS refused, credentials refused) ends it at once with that error. With several
   * URLs (kombu's `on_error` with alternates): the URL in use is tried again at once, each failure
   * moves to the next URL at once, and the back-off is slept only after a whole round failed.
   */
  private async reconnect(lastError: Error): Promise<Amqplib.ChannelModel> {
    const { retry } = this.options;
    const hosts = this.targets.length;
    for (let attempt = 0; attempt < retry.maxRetries; attempt++) {
      const delay = hosts === 1 ? retryDelay(retry, attempt) : attempt > 0 && attempt % hosts === 0 ? retryDelay(retry, attempt / hosts - 1) : 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.closing) throw new OperationalError('the AMQP transport was closed while reconnecting');
      try {
        const model = await this.open();
        this.reconnects++;
        // Recover after `connecting` resolves, so channels see the new model.
        queueMicrotask(() => { void this.recoverChannels(); });
        return model;
      } catch (err) {
        if (!isRecoverable(err)) throw err;
        lastError = err as Error;
        this.target = nextFailoverIndex(this.target, hosts, this.failoverStrategy);
      }
    }
    throw new ConnectionError(`gave up reconnecting to the AMQP broker after ${retry.maxRetries} attempts: ${lastError.message}`, { cause: lastError });
  }

  private async recoverChannels(): Promise<void> {
    for (const channel of this.channels) {
      try {
        await channel.recover();
      } catch {
        // the channel reopens on its next operation
      }
    }
  }
}

/** The transport definition the kombu registry loads for `amqp://`, `amqps://` and `pyamqp://`. */
export const transport: TransportDefinition = {
  name: 'amqp',
  create: (url, options, info) => new AmqpTransport(url, options, info?.ssl ?? null, { alternates: info?.alternates, strategy: info?.failoverStrategy }),
};
