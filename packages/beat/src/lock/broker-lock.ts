/**
 * Beat's default lock: the one its broker offers. On the first `acquire` it connects to the broker
 * and asks the transport for a lease lock through @cq/kombu's capability guard
 * (`isLeaseLockProvider`): the Redis and SQLite transports keep it in the broker, so every beat on
 * that broker competes for the same key. A transport without one (AMQP, memory), or an app given no
 * transport for the broker's scheme, gets the fallback instead (beat's SQLite state file, or none),
 * and its connection is closed again.
 *
 * While the broker cannot be reached, `acquire` rejects (beat logs it, stays on standby and asks
 * again at its next renewal).
 */
import { randomUUID } from 'node:crypto';
import { isLeaseLockProvider, TransportNotFoundError, type Connection, type LeaseLock } from '@cq/kombu';
import { BeatLockError } from '../errors.js';

export class BrokerLeaseLock implements LeaseLock {
  readonly token = randomUUID();
  /** The lock in use once chosen; null: no lock (every acquire succeeds). */
  private chosen: LeaseLock | null | undefined;
  private connection: Connection | null = null;

  /**
   * @param connect a new, unconnected connection to the broker (`app.connection()`).
   * @param key the lock's name in the broker (`beat_lock_key`).
   * @param fallback the lock to use when the broker offers none; null for none.
   * @param warn told once when the broker's scheme has no transport in this app.
   */
  constructor(
    private readonly connect: () => Connection,
    readonly key: string,
    private readonly fallback: () => LeaseLock | null,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** See {@link LeaseLock.acquire}; rejects with BeatLockError while the broker is unreachable. */
  async acquire(leaseMs: number): Promise<boolean> {
    const lock = await this.choose();
    return lock ? lock.acquire(leaseMs) : true;
  }

  /** Gives up the chosen lock, if one was chosen and this beat holds it. */
  async release(): Promise<void> {
    await this.chosen?.release();
  }

  /** Closes the chosen lock and the broker connection it used. */
  async close(): Promise<void> {
    await this.chosen?.close();
    const connection = this.connection;
    this.connection = null;
    await connection?.close();
  }

  private async choose(): Promise<LeaseLock | null> {
    if (this.chosen !== undefined) return this.chosen;
    const connection = this.connect();
    try {
      await connection.connect();
    } catch (err) {
      if (!(err instanceof TransportNotFoundError)) {
        throw new BeatLockError(`beat lock: cannot reach the broker ${connection.asUri()} to take the lock there (${(err as Error).message}); standing by`, { cause: err });
      }
      this.warn(`beat: ${(err as Error).message}; using beat's own lock instead of the broker's`);
      this.chosen = this.fallback();
      return this.chosen;
    }
    if (isLeaseLockProvider(connection.transport)) {
      this.connection = connection;
      this.chosen = connection.transport.leaseLock(this.key, this.token);
    } else {
      await connection.close();
      this.chosen = this.fallback();
    }
    return this.chosen;
  }
}
