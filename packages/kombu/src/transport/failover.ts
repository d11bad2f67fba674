/**
 * Broker failover, kombu style (`kombu.Connection(alternates=…, failover_strategy=…)`; Celery
 * `broker_url` as a `;`-separated list and `broker_failover_strategy`): a connection knows every URL
 * of the list, uses the first, and on a connection error moves to the next one.
 *
 * kombu's schedule, kept here: after a failed attempt the next URL is tried at once; only when a
 * whole round of URLs has failed does the retry back-off (`interval_start` + n × `interval_step`)
 * apply. `round-robin` (the default) walks the list in order; `shuffle` picks another URL at random
 * (kombu's `shufflecycle` may pick the failed one again; this picks among the others).
 */
import { ConfigurationError } from '../errors.js';

/** Celery `broker_failover_strategy`: `'round-robin'` (default) or `'shuffle'`. */
export type FailoverStrategy = 'round-robin' | 'shuffle';

const STRATEGIES: readonly string[] = ['round-robin', 'shuffle'];

/**
 * The URLs of a `;`-separated failover list (kombu `hostname.split(';')`), blanks dropped. Split only
 * when every part is a `scheme://…` URL, so a URL whose own text holds `;` (a connection string) stays whole.
 */
export function splitBrokerUrls(url: string): string[] {
  const parts = url.split(';').map((part) => part.trim()).filter((part) => part !== '');
  return parts.length > 1 && parts.every((part) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(part)) ? parts : [url];
}

/**
 * `value` checked as a failover strategy; null/undefined is `'round-robin'`.
 * @throws ConfigurationError naming `broker_failover_strategy` for anything else (kombu also takes a
 *   generator function; cq's settings are data, so only the two names).
 */
export function checkFailoverStrategy(value: unknown): FailoverStrategy {
  if (value === null || value === undefined) return 'round-robin';
  if (typeof value === 'string' && STRATEGIES.includes(value)) return value as FailoverStrategy;
  throw new ConfigurationError(`broker_failover_strategy must be 'round-robin' or 'shuffle', got ${JSON.stringify(value)}`);
}

/**
 * The index of the URL after `current` among `count` URLs: the next in order for `round-robin`, a
 * random other one for `shuffle` (`random` returns [0, 1), default `Math.random`).
 */
export function nextFailoverIndex(current: number, count: number, strategy: FailoverStrategy, random: () => number = Math.random): number {
  if (count <= 1) return 0;
  if (strategy === 'round-robin') return (current + 1) % count;
  return (current + 1 + Math.floor(random() * (count - 1))) % count;
}
