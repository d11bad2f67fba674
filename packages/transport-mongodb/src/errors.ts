/**
 * Errors of @cq/transport-mongodb, and how the `mongodb` driver's failures map onto @cq/kombu's
 * classes (the worker and the producer's retry decide on those: a recoverable `TransportError` is
 * retried on a new connection).
 *
 * ```
 * KombuError (@cq/kombu)
 * ├── ConfigurationError
 * │   └── MongoOptionError          CQ_MONGO_OPTION   a transport option or URL the transport cannot use
 * └── TransportError
 *     ├── ConnectionError           (kombu)           network error, no server selectable, topology closed,
 *     │                                               not primary / shutting down: recoverable
 *     └── MongoCommandError         CQ_MONGO_COMMAND  any other server error; `serverCode`, `codeName` kept
 * ```
 *
 * Authentication and authorization failures (server codes 13, 18) become kombu's
 * `ConfigurationError`, naming the URL to fix; so does a URL or client option the driver refuses.
 */
import { ConfigurationError, ConnectionError, TransportError, type KombuErrorOptions } from '@cq/kombu';
import {
  MongoNetworkError, MongoNotConnectedError, MongoParseError, MongoServerError, MongoServerSelectionError, MongoTopologyClosedError,
} from 'mongodb';

/** A transport option or broker URL the MongoDB transport cannot use; the message names the fix. */
export class MongoOptionError extends ConfigurationError {
  override readonly code: string = 'CQ_MONGO_OPTION';
}

/** A command MongoDB refused for a reason retrying will not fix. `serverCode` is the server's error code. */
export class MongoCommandError extends TransportError {
  override readonly code: string = 'CQ_MONGO_COMMAND';
  readonly serverCode: number | undefined;
  readonly codeName: string | undefined;
  constructor(message: string, options: KombuErrorOptions & { serverCode?: number; codeName?: string } = {}) {
    super(message, { ...options, recoverable: false });
    this.serverCode = options.serverCode;
    this.codeName = options.codeName;
  }
}

/**
 * Server codes a retry on a fresh connection can get past: not primary / node recovering
 * (10107, 13435, 13436, 189, 91, 11600, 11602), host unreachable / not found (6, 7), network timeout (89),
 * socket exception (9001), exceeded time limit on a busy server (262), interrupted at shutdown (11600).
 */
const RECOVERABLE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
/** Authentication failed (18) and unauthorized (13): the URL's user, password or database is wrong. */
const CONFIG_CODES = new Set([13, 18]);

/** True when `err` is a lost, refused or unelectable connection that a later retry may get past. */
export function isRecoverable(err: unknown): boolean {
  if (err instanceof TransportError) return err.recoverable;
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) return true;
  if (err instanceof MongoNotConnectedError || err instanceof MongoTopologyClosedError) return true;
  if (err instanceof MongoServerError) {
    return RECOVERABLE_CODES.has(Number(err.code)) || err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('ResetPool');
  }
  return false;
}

/**
 * Wraps `err`, thrown while doing `action` on the server `where` (hosts/database, never a password),
 * in the matching kombu error (see the drawing above), keeping it as `cause`. Kombu errors pass through.
 */
export function toTransportError(err: unknown, action: string, where: string): Error {
  if (err instanceof TransportError || err instanceof ConfigurationError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  if (isRecoverable(err)) {
    return new ConnectionError(`mongodb broker ${where} failed while ${action} (${reason}): retry once the server is back`, { cause: err });
  }
  if (err instanceof MongoParseError) {
    return new MongoOptionError(`mongodb broker ${where}: the driver refused the URL or an option (${reason}): fix the broker URL or broker_transport_options`, { cause: err });
  }
  const serverCode = err instanceof MongoServerError ? Number(err.code) : undefined;
  if (serverCode !== undefined && CONFIG_CODES.has(serverCode)) {
    return new ConfigurationError(`mongodb broker ${where} refused us while ${action} (${reason}): fix the user, password or database in the broker URL`, { cause: err });
  }
  const codeName = err instanceof MongoServerError ? err.codeName : undefined;
  return new MongoCommandError(`mongodb broker ${where} failed while ${action}: ${reason}`, {
    cause: err, ...(serverCode !== undefined ? { serverCode } : {}), ...(codeName ? { codeName } : {}),
  });
}
