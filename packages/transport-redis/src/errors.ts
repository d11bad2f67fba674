/**
 * Maps ioredis failures onto @cq/kombu's error classes; this package defines none of its own.
 *
 * ```
 * TLS handshake refused (wrong CA, no client certificate, …)  → TlsError            CQ_KOMBU_TLS  (never retried)
 * ReplyError WRONGPASS / NOAUTH                               → AuthenticationError CQ_KOMBU_AUTHENTICATION (never retried)
 * ReplyError NOPERM (the ACL user may not run a command)      → ConfigurationError  (fix the user's ACL)
 * any other ReplyError (the server said no)                   → TransportError      (not recoverable)
 * everything else: refused, reset, closed,
 * timed out, MaxRetriesPerRequestError                        → ConnectionError     (recoverable: ioredis reconnects)
 * ```
 *
 * TLS and authentication failures end the ioredis client (see @cq/redis `createRedisClient`); the
 * "Connection is closed." its later commands reject with is reported as that failure.
 */
import { ConfigurationError, ConnectionError, KombuError, TransportError } from '@cq/kombu';
import { redisFailure, redisFatalError, type RedisUrl } from '@cq/redis';
import type { Redis } from 'ioredis';

/**
 * Wraps `err` (thrown while doing `action` against `server`, on `client` when known) in the
 * matching kombu error, keeping `cause`.
 */
export function toTransportError(err: unknown, action: string, server: RedisUrl, client?: Redis | null): Error {
  const failure = client ? redisFailure(client, err) : err;
  if (failure instanceof KombuError) return failure;
  const fatal = redisFatalError(failure, server);
  if (fatal) return fatal;
  const reason = failure instanceof Error ? failure.message : String(failure);
  const where = server.where;
  if ((failure as { name?: unknown })?.name === 'ReplyError') {
    if (/^NOPERM/.test(reason)) {
      return new ConfigurationError(`redis broker ${where} refused a command while ${action} (${reason}): grant the URL's user that command in its ACL`, { cause: failure });
    }
    return new TransportError(`redis broker ${where} failed while ${action}: ${reason}`, { cause: failure });
  }
  return new ConnectionError(`redis broker ${where} unreachable while ${action} (${reason}); ioredis keeps reconnecting`, { cause: failure });
}
