/**
 * The dashboard's event capture (Flower's `Events.run` loop): an @cq/events `EventReceiver` on a
 * broker connection of its own, watched, and started again after a broker outage.
 *
 * ```ts
 * const capture = new EventCapture({ app, handler: (event) => recorder.record(event), onChange: (c) => log(c) });
 * await capture.start();      // connected, or (retry on startup) retrying in the background
 * ...
 * await capture.close();
 * ```
 *
 * - **Watching.** A transport may reconnect by itself (ioredis, the AMQP transport up to its own
 *   limit) or give up silently, so every `probeInterval` seconds the capture re-declares its event
 *   queue on the connection, a round trip to the broker. A probe that fails or takes longer than
 *   `broker_connection_timeout` is an outage.
 * - **Outage.** The receiver and its connection are dropped (events published meanwhile are lost,
 *   as with Flower: the event exchange keeps nothing for an absent queue), `onChange` reports
 *   `lost` once, and a new connection and receiver are tried at once, then after 2, 4, 6 ... 30 s
 *   (kombu's intervals), up to `broker_connection_max_retries` attempts per outage (see
 *   `connection-retry.ts`). The first success reports `restored` once, with the downtime; running
 *   out of attempts reports `gave-up` and the capture stops. With `broker_connection_retry` false
 *   a loss reports `lost` then `gave-up`.
 * - **Startup.** A broker down at start is an outage too when `broker_connection_retry_on_startup`
 *   holds (Celery's default): `start()` resolves and the attempts go on in the background.
 *   Otherwise `start()` rejects with the transport's error, as before.
 * - The queue name (`celeryev.<nodeId>`) stays the same across reconnects.
 */
import { randomUUID } from 'node:crypto';
import { EventReceiver, redact, type Celery, type CeleryEvent, type Channel, type Connection } from '@cq/celery';
import { connectionRetrySettings, retryInterval, type ConnectionRetrySettings } from './connection-retry.js';

/** What the capture reports: the broker lost, reached again, or given up on. Times in seconds. */
export type CaptureChange =
  | { state: 'lost'; broker: string; error: unknown }
  | { state: 'restored'; broker: string; downtime: number; attempts: number }
  | { state: 'gave-up'; broker: string; attempts: number; error: unknown };

export interface EventCaptureOptions {
  app: Celery;
  /** Called with each event, with `local_received` set. */
  handler: (event: CeleryEvent) => void;
  /** Called once per change of the broker's state. */
  onChange?: (change: CaptureChange) => void;
  /** Seconds between probes of a live connection. Default 2. */
  probeInterval?: number;
  /** Overrides of the settings read from `app.conf`. */
  retry?: Partial<ConnectionRetrySettings>;
}

interface Session {
  connection: Connection;
  receiver: EventReceiver;
  probe: Channel;
}

/** Rejects with `error` after `seconds`, unless `promise` settles first. */
function within<T>(promise: Promise<T>, seconds: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(error()), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class EventCapture {
  readonly nodeId = randomUUID();
  readonly settings: ConnectionRetrySettings;
  private session: Session | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** When the current outage began (ms), or null while connected. */
  private downSince: number | null = null;
  private attempts = 0;

  constructor(private readonly options: EventCaptureOptions) {
    this.settings = { ...connectionRetrySettings(options.app.conf), ...options.retry };
  }

  /** The broker URL, password masked. */
  get broker(): string {
    return redact(this.options.app.broker.url);
  }

  /** True while a receiver is connected. */
  get connected(): boolean {
    return this.session !== null;
  }

  /**
   * Connects and starts receiving. When the broker cannot be reached: with retry on startup, reports
   * `lost` and keeps trying in the background; otherwise rejects with the transport's error.
   */
  async start(): Promise<this> {
    try {
      await this.connect();
    } catch (err) {
      if (!this.settings.broker_connection_retry_on_startup) throw err;
      this.lost(err, false);
      return this;
    }
    this.watch();
    return this;
  }

  /** Stops receiving and closes the connection. Never throws. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.drop();
  }

  /** One attempt: a new connection, the receiver on it, and a channel for the probes. */
  private async connect(): Promise<void> {
    const connection = this.options.app.connection();
    const attempt = (async (): Promise<Session> => {
      const receiver = new EventReceiver({ app: this.options.app, connection, nodeId: this.nodeId, handlers: { '*': this.options.handler } });
      await receiver.start();
      return { connection, receiver, probe: await connection.channel() };
    })();
    try {
      const session = await within(attempt, this.settings.broker_connection_timeout, () => new Error(`no answer from the broker within ${this.settings.broker_connection_timeout} s`));
      if (this.closed) {
        await this.closeSession(session);
        return;
      }
      this.session = session;
    } catch (err) {
      // An attempt that timed out may still finish: close what it opened either way.
      void attempt.then((s) => s.receiver.close(), () => undefined);
      void connection.close().catch(() => undefined);
      throw err;
    }
  }

  /** Probes the live connection every `probeInterval` seconds. */
  private watch(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.probe(), (this.options.probeInterval ?? 2) * 1000);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    const session = this.session;
    if (!session || this.closed) return;
    try {
      const queue = session.receiver.queue;
      if (!queue) throw new Error('the event receiver has no queue');
      await within(session.probe.declareQueue(queue.toDeclaration()), this.settings.broker_connection_timeout,
        () => new Error(`no answer from the broker within ${this.settings.broker_connection_timeout} s`));
    } catch (err) {
      if (this.session === session && !this.closed) this.lost(err, true);
      return;
    }
    this.watch();
  }

  /** An outage began: report it once, drop the session, and retry (or give up). */
  private lost(error: unknown, wasConnected: boolean): void {
    this.downSince = Date.now();
    this.attempts = wasConnected ? 0 : 1;
    this.options.onChange?.({ state: 'lost', broker: this.broker, error });
    void this.drop();
    if (!this.settings.broker_connection_retry && wasConnected) {
      this.options.onChange?.({ state: 'gave-up', broker: this.broker, attempts: 0, error });
      return;
    }
    if (wasConnected) void this.retry();
    else this.schedule(error);
  }

  private async retry(): Promise<void> {
    if (this.closed) return;
    this.timer = null;
    this.attempts += 1;
    try {
      await this.connect();
    } catch (err) {
      this.schedule(err);
      return;
    }
    if (this.closed) return;
    const downtime = (Date.now() - (this.downSince ?? Date.now())) / 1000;
    this.downSince = null;
    this.options.onChange?.({ state: 'restored', broker: this.broker, downtime, attempts: this.attempts });
    this.watch();
  }

  /** Waits the interval after a failed attempt, or gives up once `broker_connection_max_retries` were made. */
  private schedule(error: unknown): void {
    if (this.closed) return;
    const max = this.settings.broker_connection_max_retries;
    if (max !== null && this.attempts >= max) {
      this.options.onChange?.({ state: 'gave-up', broker: this.broker, attempts: this.attempts, error });
      return;
    }
    this.timer = setTimeout(() => void this.retry(), retryInterval(this.attempts) * 1000);
    this.timer.unref();
  }

  /** Drops the current session; closing waits at most `broker_connection_timeout` (the broker may be gone). */
  private async drop(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await within(this.closeSession(session), this.settings.broker_connection_timeout, () => new Error('close timed out')).catch(() => undefined);
  }

  private async closeSession(session: Session): Promise<void> {
    await session.probe.close().catch(() => undefined);
    await session.receiver.close();
    await session.connection.close().catch(() => undefined);
  }
}
