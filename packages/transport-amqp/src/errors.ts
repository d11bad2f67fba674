/**
 * Maps amqplib and socket failures onto @cq/kombu's transport errors:
 *
 * ```
 * ConnectionError (recoverable)   socket errors, connection lost/refused, 320 CONNECTION_FORCED,
 *                                 501/504/505/506 frame and channel errors closing the connection
 * NotFoundError                   404 NOT_FOUND (queue or exchange does not exist)
 * ChannelError                    403 ACCESS_REFUSED, 405 RESOURCE_LOCKED, 406 PRECONDITION_FAILED, ...
 * OperationalError                using a closed channel or transport
 *
 * while connecting (connectFailure), never retried:
 * TlsError                        CQ_KOMBU_TLS: the TLS handshake failed (names broker_use_ssl.*)
 * AuthenticationError             CQ_KOMBU_AUTHENTICATION: 403 ACCESS_REFUSED at login, 530 NOT_ALLOWED
 *                                 for the vhost (names broker_url)
 * ```
 */
import {
  AuthenticationError, ChannelError, ConnectionError, KombuError, NotFoundError, TransportError, tlsFailure,
} from '@cq/kombu';
import { AMQP_TLS_NAMES } from './tls.js';

const RECOVERABLE_CODES = new Set([320, 501, 504, 505, 506, 541]);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The AMQP reply code of an amqplib error, when it carries one. */
export function replyCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** True for failures a new connection may fix (kombu `recoverable_connection_errors`). */
export function isRecoverable(err: unknown): boolean {
  if (err instanceof TransportError) return err.recoverable;
  if (err instanceof KombuError) return false; // TlsError, AuthenticationError, ConfigurationError
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return RECOVERABLE_CODES.has(code);
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : String(err);
  return /connection (closed|ended)|socket|heartbeat timeout|closed by peer/i.test(message);
}

/** Wraps `err` (thrown while `doing`, e.g. "declaring queue q1") in the matching kombu error. */
export function toTransportError(err: unknown, doing: string): TransportError {
  if (err instanceof TransportError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const message = `AMQP error while ${doing}: ${detail}`;
  const code = replyCode(err);
  if (code === 404) return new NotFoundError(message, { cause: err });
  if (isRecoverable(err)) return new ConnectionError(message, { cause: err });
  if (code !== undefined) return new ChannelError(message, { cause: err });
  return new ChannelError(message, { cause: err });
}

/** Where and as whom a connection was tried, for {@link connectFailure}'s messages. */
export interface ConnectTarget {
  hostname: string;
  port: number;
  vhost: string;
  username: string;
  /** TLS was on: handshake errors are told apart. */
  tls: boolean;
}

/**
 * The error `connect` rejects with for `err`: kombu's TlsError or AuthenticationError when no
 * retry can help (see the table above), else a recoverable ConnectionError. Never shows the password.
 */
export function connectFailure(err: unknown, target: ConnectTarget): KombuError {
  const where = `${target.hostname}:${target.port}`;
  if (target.tls) {
    const tls = tlsFailure(err, AMQP_TLS_NAMES, where);
    if (tls) return tls;
  }
  const detail = err instanceof Error ? err.message : String(err);
  const reply = /Handshake terminated by server: (\d+) \([^)]*\) with message "(.*)"$/s.exec(detail);
  if (reply?.[1] === '403') {
    return new AuthenticationError(`authentication failed for user ${JSON.stringify(target.username)} at ${where} (${reply[2]}): check the user and password in broker_url`, target.username, 'broker_url', { cause: err });
  }
  // 530 NOT_ALLOWED on connection.open (amqplib reports it as "Expected ConnectionOpenOk; got <ConnectionClose …>").
  if (reply?.[1] === '530' || /^Expected ConnectionOpenOk; got <ConnectionClose/.test(detail)) {
    return new AuthenticationError(
      `the broker at ${where} refused vhost ${JSON.stringify(target.vhost)} for user ${JSON.stringify(target.username)} (${reply?.[2] ?? 'connection.open answered with connection.close'}): check the virtual host in broker_url and the user's permissions on it`,
      target.username, 'broker_url', { cause: err });
  }
  return new ConnectionError(`cannot connect to AMQP broker ${where} vhost ${target.vhost}: ${detail}`, { cause: err });
}
