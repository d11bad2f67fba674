/** Connection: a broker URL plus a lazily loaded transport; see {@link Connection}. */
import { ConfigurationError } from './errors.js';
import { checkFailoverStrategy, splitBrokerUrls, type FailoverStrategy } from './transport/failover.js';
import { TransportRegistry } from './transport/registry.js';
import type { BrokerSsl, BrokerUrl, Channel, Transport, TransportDefinition } from './transport/types.js';
import { parseUrl, redact } from './transport/url.js';

export interface ConnectionOptions {
  /** kombu `transport_options` (Celery `broker_transport_options`), keys as Celery documents them. */
  transportOptions?: Record<string, unknown>;
  /** Use this transport definition instead of resolving the URL's scheme. */
  transport?: TransportDefinition;
  /**
   * Where the URL's scheme is looked up when `transport` is not given (the app passes
   * `app.transports`). Default: a registry with only the `memory` transport.
   */
  transports?: TransportRegistry;
  /**
   * kombu `ssl` (Celery `broker_use_ssl`): true for TLS with default checks, or the settings dict of
   * the transport (AMQP: `ca_certs`, `certfile`, `keyfile`, `cert_reqs`, `server_hostname`; Redis:
   * `ssl_cert_reqs`, `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`). Handed to the transport, which
   * reads the files. Default null (TLS only when the URL's scheme says so: `amqps://`, `rediss://`).
   */
  ssl?: BrokerSsl;
  /**
   * Celery `broker_failover_strategy` (kombu `failover_strategy`): how a transport that reconnects by
   * itself moves through the URLs of a `;`-separated broker URL, `'round-robin'` or `'shuffle'`.
   * Default `'round-robin'`.
   */
  failoverStrategy?: FailoverStrategy | null;
}

const memoryOnly = new TransportRegistry();

/**
 * A broker URL plus a lazily loaded transport (kombu `kombu.Connection`, `kombu/connection.py`;
 * Celery `broker_url`, `broker_transport_options`).
 *
 * ```ts
 * const conn = await new Connection('sqlite:///.cq/broker.db', { transports: app.transports }).connect();
 * const channel = await conn.channel();
 * await conn.close();
 * ```
 *
 * The URL (default `memory://`) is parsed at construction; its scheme is the transport alias
 * (`amqp`, `redis`, `rediss`, `sqlite`, `memory`, ...), looked up in `options.transports` (default:
 * a registry holding only `memory`) unless `options.transport` gives the definition. The transport
 * package is loaded and connected on first `connect()` / `channel()`; `connect` is idempotent, and
 * after a failed attempt the next call tries again. `transportOptions` are kombu's
 * `transport_options`, keys as Celery documents them (times in seconds, e.g. `visibility_timeout`).
 *
 * Failover (kombu's `alt`): `amqp://a//;amqp://b//;amqp://c//` lists brokers of one cluster. The first
 * is `url`; all of them, in order, are `alternates` and go to the transport with `failoverStrategy`.
 * The AMQP transport moves to the next URL whenever its connection fails (see
 * `transport/failover.ts`); other transports connect to the first URL only.
 *
 * Errors: the constructor throws `ConfigurationError` for a malformed URL; `connect` rejects with
 * `TransportNotFoundError` for an unknown alias or a transport package that is not installed (the
 * message names the package to install) and with the transport's `ConnectionError` when the broker
 * cannot be reached; {@link Connection.transport} throws `ConfigurationError` before `connect()`.
 * `close()` closes every channel, giving unacked messages back to their queues.
 */
export class Connection {
  readonly url: BrokerUrl;
  /** Every URL of a `;`-separated broker URL, `url` first (kombu `Connection.alt`); `[url]` for one URL. */
  readonly alternates: readonly BrokerUrl[];
  readonly failoverStrategy: FailoverStrategy;
  readonly transportOptions: Record<string, unknown>;
  private transportInstance: Transport | null = null;
  private connecting: Promise<Transport> | null = null;
  private defaultChan: Promise<Channel> | null = null;

  /**
   * @param url broker URL, default `memory://`, or a `;`-separated failover list (the first URL's
   *   scheme picks the transport, which checks the others).
   * @throws ConfigurationError when a URL is malformed or the failover strategy is unknown.
   */
  constructor(url = 'memory://', private readonly options: ConnectionOptions = {}) {
    const urls = splitBrokerUrls(url).map(parseUrl);
    this.url = urls[0]!;
    this.alternates = urls;
    this.failoverStrategy = checkFailoverStrategy(options.failoverStrategy);
    this.transportOptions = options.transportOptions ?? {};
  }

  /** The transport alias of the URL (`sqlite`, `amqp`, ...). */
  get transportName(): string {
    return this.url.transport;
  }

  /** The connected transport. Throws when `connect()` has not completed. */
  get transport(): Transport {
    if (!this.transportInstance) throw new ConfigurationError('connection is not connected: await connection.connect() first');
    return this.transportInstance;
  }

  get isConnected(): boolean {
    return this.transportInstance?.isConnected ?? false;
  }

  /** Loads the transport package (first use only) and connects. Idempotent. */
  async connect(): Promise<this> {
    if (!this.connecting) {
      this.connecting = (async () => {
        const definition = this.options.transport ?? (await (this.options.transports ?? memoryOnly).resolve(this.url.transport));
        const transport = definition.create(this.url, this.transportOptions, {
          ssl: this.options.ssl ?? null, alternates: this.alternates, failoverStrategy: this.failoverStrategy,
        });
        await transport.connect();
        this.transportInstance = transport;
        return transport;
      })();
      this.connecting.catch(() => { this.connecting = null; });
    }
    await this.connecting;
    return this;
  }

  /** Opens a new channel, connecting first when needed. */
  async channel(): Promise<Channel> {
    await this.connect();
    return this.transport.createChannel();
  }

  /** One shared channel for short operations (kombu `default_channel`). */
  defaultChannel(): Promise<Channel> {
    if (!this.defaultChan) {
      this.defaultChan = this.channel();
      this.defaultChan.catch(() => { this.defaultChan = null; });
    }
    return this.defaultChan;
  }

  /** Closes every channel (restoring unacked messages) and the transport. */
  async close(): Promise<void> {
    const transport = this.transportInstance;
    this.transportInstance = null;
    this.connecting = null;
    this.defaultChan = null;
    if (transport) await transport.close();
  }

  /** The URL with the password masked (kombu `as_uri()`). */
  asUri(): string {
    return redact(this.url.href);
  }
}
