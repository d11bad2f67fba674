/**
 * The beat lock's interface, kept in @cq/kombu beside the capability that offers it
 * (`LeaseLockProvider`, checked with `isLeaseLockProvider`), so a broker's transport can hand one out.
 * Celery has no such lock: two `celery beat` processes both fire every entry.
 */
export type { LeaseLock } from '@cq/kombu';
