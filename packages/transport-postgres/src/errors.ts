/**
 * Errors of @cq/transport-postgres, and how `pg` failures map onto @cq/kombu's classes (the worker
 * and the producer's retry decide on those: a recoverable `TransportError` is retried).
 *
 * ```
 * KombuError (@cq/kombu)
 * ├── ConfigurationError
 * │   └── PostgresLayoutError       CQ_PG_LAYOUT    bad table name, or a table that lacks what the layout needs
 * └── TransportError
 *     ├── ConnectionError           (kombu)         connection refused/lost, server shutting down,
 *     │                                             too many connections, serialization failure, deadlock:
 *     │                                             recoverable, retry on a new connection
 *     └── PostgresQueryError        CQ_PG_QUERY     any other SQL failure; `sqlState` kept; not recoverable
 * ```
 *
 * Authentication failures (SQLSTATE 28xxx), a missing database (3D000) and missing privileges (42501)
 * become kombu's `ConfigurationError`, naming the URL to fix.
 */
import { ConfigurationError, ConnectionError, TransportError, type KombuErrorOptions } from '@cq/kombu';

/** A table name that is not a plain SQL name, or an existing table that lacks the layout's columns. */
export class PostgresLayoutError extends ConfigurationError {
  override readonly code: string = 'CQ_PG_LAYOUT';
}

/** A statement PostgreSQL refused for a reason retrying will not fix. `sqlState` is the SQLSTATE code. */
export class PostgresQueryError extends TransportError {
  override readonly code: string = 'CQ_PG_QUERY';
  readonly sqlState: string | undefined;
  constructor(message: string, options: KombuErrorOptions & { sqlState?: string } = {}) {
    super(message, { ...options, recoverable: false });
    this.sqlState = options.sqlState;
  }
}

/** SQLSTATE classes and codes a retry on a fresh connection can get past. */
const RECOVERABLE_STATE = /^(08|57P0[123]|53300|53400|40001|40P01|55P03|55006)/;
const CONFIG_STATE = /^(28|3D000|42501)/;
/** Node socket errors and pg's own messages for a lost or unusable connection. */
const RECOVERABLE_NODE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTCONN)$/;
const RECOVERABLE_MESSAGE = /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed|Connection is closed/i;

/** True when `err` is a lost, refused or busy connection that a later retry may get past. */
export function isRecoverable(err: unknown): boolean {
  if (err instanceof TransportError) return err.recoverable;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (code && (RECOVERABLE_STATE.test(code) || RECOVERABLE_NODE.test(code))) return true;
  return RECOVERABLE_MESSAGE.test(err instanceof Error ? err.message : String(err));
}

/**
 * Wraps `err`, thrown while doing `action` on the server `where` (host:port/db, never a password), in
 * the matching kombu error (see the drawing above), keeping it as `cause`. Kombu errors pass through.
 */
export function toTransportError(err: unknown, action: string, where: string): Error {
  if (err instanceof TransportError || err instanceof ConfigurationError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (isRecoverable(err)) {
    return new ConnectionError(`postgres broker ${where} failed while ${action} (${code ? `${code}: ` : ''}${reason}): retry once the server is back`, { cause: err });
  }
  if (CONFIG_STATE.test(code)) {
    return new ConfigurationError(`postgres broker ${where} refused us while ${action} (${code}: ${reason}): fix the user, password or database in the broker URL`, { cause: err });
  }
  return new PostgresQueryError(`postgres broker ${where} failed while ${action}: ${code ? `${code}: ` : ''}${reason}`, {
    cause: err, ...(code ? { sqlState: code } : {}),
  });
}
