/**
 * Broker URL and `transport_options` → amqplib connect arguments, with kombu's names and defaults.
 */
import type { ConnectionOptions } from 'node:tls';
import { ConfigurationError, type BrokerSsl, type BrokerUrl } from '@cq/kombu';
import { sslRequested, tlsSocketOptions } from './tls.js';

/** Options read from Celery `broker_transport_options` (kombu names; times in **seconds**). */
export interface AmqpTransportOptions {
  /** AMQP heartbeat in s; 0 disables. Default 120 (Celery `broker_heartbeat`). */
  heartbeat?: number;
  /** Publisher confirms: `publish()` resolves once the broker confirmed. Default true. */
  confirm_publish?: boolean;
  /** TCP/TLS connect timeout in s. Default 4 (Celery `broker_connection_timeout`). */
  connect_timeout?: number;
  /** Reconnect attempts after a lost connection before giving up; `null` = forever. Default 100. */
  max_retries?: number | null;
  /** First reconnect delay in s. Default 2. */
  interval_start?: number;
  /** Added to the delay after each failed attempt, in s. Default 2. */
  interval_step?: number;
  /** Longest delay between attempts, in s. Default 30. */
  interval_max?: number;
}

export interface ResolvedOptions {
  connect: {
    protocol: 'amqp' | 'amqps';
    hostname: string;
    port: number;
    username: string;
    password: string;
    vhost: string;
    heartbeat: number;
  };
  /**
   * Socket options for amqplib: connect timeout (ms), TCP_NODELAY (on: no Nagle delay per publish),
   * and with TLS the `tls.connect` options from `broker_use_ssl` (see `tls.ts`).
   */
  socket: { timeout: number; noDelay: boolean } & ConnectionOptions;
  confirmPublish: boolean;
  retry: { maxRetries: number; startMs: number; stepMs: number; maxMs: number };
}

/**
 * Resolves URL, options and `ssl` (Celery `broker_use_ssl`). Throws {@link ConfigurationError} for an
 * unknown scheme, a bad number, or a bad TLS setting or unreadable TLS file (naming the setting).
 */
export function resolveOptions(url: BrokerUrl, options: Record<string, unknown>, ssl: BrokerSsl = null): ResolvedOptions {
  const scheme = url.transport;
  if (!['amqp', 'amqps', 'pyamqp', 'librabbitmq'].includes(scheme)) {
    throw new ConfigurationError(`the amqp transport cannot serve ${scheme}:// URLs: use amqp://, amqps:// or pyamqp://`);
  }
  const secure = scheme === 'amqps' || url.query.ssl === 'true' || url.query.ssl === '1' || sslRequested(ssl);
  const hostname = url.hostname || 'localhost';
  const seconds = (key: string, fallback: number): number => {
    const raw = options[key] ?? url.query[key];
    if (raw === undefined || raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new ConfigurationError(`transport option ${key} must be a number of seconds >= 0, got ${JSON.stringify(raw)}`);
    return n;
  };
  const maxRetriesRaw = options.max_retries;
  const confirm = options.confirm_publish ?? url.query.confirm_publish;
  return {
    connect: {
      protocol: secure ? 'amqps' : 'amqp',
      hostname,
      port: url.port ?? (secure ? 5671 : 5672),
      username: url.userid ?? 'guest',
      password: url.password ?? 'guest',
      // kombu: an empty path is vhost '/', and '//' (path '/') is also '/'.
      vhost: url.virtualHost === null || url.virtualHost === '' ? '/' : url.virtualHost,
      heartbeat: Math.round(seconds('heartbeat', 120)),
    },
    socket: { timeout: seconds('connect_timeout', 4) * 1000, noDelay: true, ...(secure ? tlsSocketOptions(ssl, hostname) : {}) },
    confirmPublish: !(confirm === false || confirm === 'false' || confirm === '0'),
    retry: {
      maxRetries: maxRetriesRaw === null ? Infinity : seconds('max_retries', 100),
      startMs: seconds('interval_start', 2) * 1000,
      stepMs: seconds('interval_step', 2) * 1000,
      maxMs: seconds('interval_max', 30) * 1000,
    },
  };
}

/** Delay before reconnect attempt `attempt` (0-based), in ms: start + attempt × step, capped at max. */
export function retryDelay(retry: ResolvedOptions['retry'], attempt: number): number {
  return Math.min(retry.startMs + attempt * retry.stepMs, retry.maxMs);
}
