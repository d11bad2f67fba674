/**
 * Maps ioredis failures onto @cq/kombu's error classes; this package defines none of its own.
 *
 * ```
 * ReplyError with NOAUTH / WRONGPASS / NOPERM   → ConfigurationError  (fix the URL's credentials)
 * any other ReplyError (the server said no)     → TransportError      (not recoverable)
 * everything else: refused, reset, closed,
 * timed out, MaxRetriesPerRequestError          → ConnectionError     (recoverable: ioredis reconnects)
 * ```
 */
import { ConfigurationError, ConnectionError, KombuError, TransportError } from '@cq/kombu';

const AUTH = /^(NOAUTH|WRONGPASS|NOPERM)/;

/** Wraps `err` (thrown while doing `action` against `where`) in the matching kombu error, keeping `cause`. */
export function toTransportError(err: unknown, action: string, where: string): Error {
  if (err instanceof KombuError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  if ((err as { name?: unknown })?.name === 'ReplyError') {
    if (AUTH.test(reason)) {
      return new ConfigurationError(`redis broker ${where} refused the credentials while ${action} (${reason}): fix the password in the broker URL`, { cause: err });
    }
    return new TransportError(`redis broker ${where} failed while ${action}: ${reason}`, { cause: err });
  }
  return new ConnectionError(`redis broker ${where} unreachable while ${action} (${reason}); ioredis keeps reconnecting`, { cause: err });
}
