/**
 * A lock with a lease, so that of several beats on one broker only one sends (Celery has no such
 * lock: two `celery beat` processes both fire every entry). The holder renews the lease well before it
 * ends; when the holder dies, the lease runs out and another beat takes over.
 */
export interface LeaseLock {
  /** A random token naming this holder. */
  readonly token: string;
  /**
   * Takes the lock if free or expired, or renews it if this holder has it, for `leaseMs` ms from now.
   * Resolves true when this holder has the lock afterwards. Throws BeatLockError when the store fails.
   */
  acquire(leaseMs: number): Promise<boolean>;
  /** Gives the lock up if this holder has it. */
  release(): Promise<void>;
  /** Closes the connection (after release). */
  close(): Promise<void>;
}
