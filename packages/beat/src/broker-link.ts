/**
 * Beat's connection to its broker, shared by the two things beat may keep there: the lock
 * (`lock/broker-lock.ts`) and the schedule state (`broker-store.ts`). It connects on first use, and
 * each user asks the connected transport for its capability through @cq/kombu's guards
 * (`isLeaseLockProvider`, `isScheduleStoreProvider`). A user that finds none releases the link and
 * uses beat's own SQLite file instead; the connection is closed once every user has released it
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
