/**
 * Beat's connection to its broker, shared by the two things beat may keep there: the lock
 * (`lock/broker-lock.ts`) and the schedule state (`broker-store.ts`). It connects on first use, and
 * each user asks the connected transport for its capability through @cq/kombu's guards
 * (`isLeaseLockProvider`, `isScheduleStoreProvider`) with a {@link BrokerChoice}. A user that finds
 * none releases the link and uses beat's own SQLite file instead; the connection is closed once every user has released it
 * (a beat on AMQP keeps no idle broker connection).
 */
import { TransportNotFoundError, type Connection, type Transport } from '@cq/kombu';
import { BeatError } from './errors.js';

export class BrokerLink {
  private connection: Connection | null = null;
  private connected: Promise<Transport | null> | null = null;
  private users = 0;

  /**
   * @param connect a new, unconnected connection to the broker (`app.connection()`).
   * @param warn told once when the app has no transport for the broker's scheme.
   */
  constructor(private readonly connect: () => Connection, private readonly warn: (message: string) => void = () => undefined) {}

  /** Registers one more user; each calls {@link release} once when done with the connection. */
  retain(): this {
    this.users++;
    return this;
  }

  /**
   * The connected transport, or null when the app has no transport for the broker's scheme (then
   * every user falls back). Rejects with BeatError naming the broker (password hidden) while it
   * cannot be reached; the next call tries again with a new connection.
   */
  transport(): Promise<Transport | null> {
    this.connected ??= this.open().catch((err: unknown) => {
      this.connected = null;
      throw err;
    });
    return this.connected;
  }

  /** One user is done: the connection is closed when no user is left. */
  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    const connection = this.connection;
    this.connection = null;
    this.connected = null;
    await connection?.close();
  }

  private async open(): Promise<Transport | null> {
    const connection = this.connect();
    try {
      await connection.connect();
    } catch (err) {
      if (!(err instanceof TransportNotFoundError)) {
        throw new BeatError(`cannot reach the broker ${connection.asUri()} (${(err as Error).message})`, { cause: err });
      }
      this.warn(`beat: ${err.message}; using beat's own lock and state file instead of the broker`);
      return null;
    }
    this.connection = connection;
    return connection.transport;
  }
}

/**
 * One user's choice between what the broker's transport offers and a fallback, made once, on first
 * use: `offer(transport)` gives the broker's thing (undefined when the transport has none) and
 * `fallback()` the local one. The user holds the link from construction until it falls back or
 * closes, so a broker that offers nothing keeps no idle connection.
 */
export class BrokerChoice<T> {
  #chosen: { value: T } | undefined;
  #onBroker = false;
  #holdsLink = true;

  /**
   * @param link the shared broker connection (retained here).
   * @param offer what the connected transport offers, or undefined.
   * @param fallback what to use otherwise.
   * @param unreachable the user's error for a broker that cannot be reached now (the cause given).
   */
  constructor(
    private readonly link: BrokerLink,
    private readonly offer: (transport: Transport) => T | undefined,
    private readonly fallback: () => T,
    private readonly unreachable: (err: Error) => Error,
  ) {
    link.retain();
  }

  /** The choice, once made. */
  get chosen(): T | undefined {
    return this.#chosen?.value;
  }

  /** True when the broker's thing was chosen. */
  get onBroker(): boolean {
    return this.#onBroker;
  }

  /** Makes the choice (once). @throws the user's `unreachable` error while the broker cannot be reached. */
  async get(): Promise<T> {
    if (this.#chosen) return this.#chosen.value;
    let transport: Transport | null;
    try {
      transport = await this.link.transport();
    } catch (err) {
      throw this.unreachable(err as Error);
    }
    const offered = transport ? this.offer(transport) : undefined;
    if (offered !== undefined) {
      this.#chosen = { value: offered };
      this.#onBroker = true;
    } else {
      this.#chosen = { value: this.fallback() };
      await this.letGo();
    }
    return this.#chosen.value;
  }

  /** Lets go of the broker connection (once). */
  async letGo(): Promise<void> {
    if (!this.#holdsLink) return;
    this.#holdsLink = false;
    await this.link.release();
  }
}
