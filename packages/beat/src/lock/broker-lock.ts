/**
 * Beat's default lock: the one its broker offers. On the first `acquire` it asks the broker's
 * connected transport (through the shared {@link BrokerLink}) for a lease lock with @cq/kombu's
 * capability guard (`isLeaseLockProvider`): the Redis, SQLite and PostgreSQL transports keep it in
 * the broker, so every beat on that broker competes for the same key. A transport without one (AMQP,
 * memory), or an app given no transport for the broker's scheme, gets the fallback instead (beat's
 * SQLite state file, or none), and the lock releases its hold on the link.
 *
 * While the broker cannot be reached, `acquire` rejects (beat logs it, stays on standby and asks
 * again at its next renewal).
 */
import { randomUUID } from 'node:crypto';
import { isLeaseLockProvider, type LeaseLock } from '@cq/kombu';
import { BrokerChoice, type BrokerLink } from '../broker-link.js';
import { BeatLockError } from '../errors.js';

export class BrokerLeaseLock implements LeaseLock {
  readonly token = randomUUID();
  /** The lock in use once chosen; null: no lock (every acquire succeeds). */
  private readonly choice: BrokerChoice<LeaseLock | null>;

  /**
   * @param link the broker connection (this lock retains it until it falls back or closes).
   * @param key the lock's name in the broker (`beat_lock_key`).
   * @param fallback the lock to use when the broker offers none; null for none.
   */
  constructor(link: BrokerLink, readonly key: string, fallback: () => LeaseLock | null) {
    this.choice = new BrokerChoice<LeaseLock | null>(
      link,
      (transport) => (isLeaseLockProvider(transport) ? transport.leaseLock(key, this.token) : undefined),
      fallback,
      (err) => new BeatLockError(`beat lock: ${err.message} to take the lock there; standing by`, { cause: err }),
    );
  }

  /** See {@link LeaseLock.acquire}; rejects with BeatLockError while the broker is unreachable. */
  async acquire(leaseMs: number): Promise<boolean> {
    const lock = await this.choice.get();
    return lock ? lock.acquire(leaseMs) : true;
  }

  /** Gives up the chosen lock, if one was chosen and this beat holds it. */
  async release(): Promise<void> {
    await this.choice.chosen?.release();
  }

  /** Closes the chosen lock and lets go of the broker connection. */
  async close(): Promise<void> {
    await this.choice.chosen?.close();
    await this.choice.letGo();
  }
}
