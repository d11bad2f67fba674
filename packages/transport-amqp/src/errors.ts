/**
 * Maps amqplib and socket failures onto @cq/kombu's transport errors:
 *
 * ```
 * ConnectionError (recoverable)   socket errors, connection lost/refused, 320 CONNECTION_FORCED,
 *                                 501/504/505/506 frame and channel errors closing the connection
 * NotFoundError                   404 NOT_FOUND (queue or exchange does not exist)
 * ChannelError                    403 ACCESS_REFUSED, 405 RESOURCE_LOCKED, 406 PRECONDITION_FAILED, ...
 * OperationalError                using a closed channel or transport
 * ```
 */
import { ChannelError, ConnectionError, NotFoundError, TransportError } from '@cq/kombu';

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
