/**
 * Maps better-sqlite3 failures onto @cq/kombu's error classes; this package defines none of its own.
 *
 * ```
 * SQLITE_BUSY*, SQLITE_LOCKED*            → ConnectionError     (recoverable: retry; another process held the lock > 5 s)
 * SQLITE_CANTOPEN, _NOTADB, _READONLY,
 * SQLITE_PERM, SQLITE_CORRUPT             → ConfigurationError  (names the file and the fix)
 * anything else                           → TransportError      (not recoverable)
 * ```
 */
import { ConfigurationError, ConnectionError, TransportError } from '@cq/kombu';

const CONFIG = /^SQLITE_(CANTOPEN|NOTADB|READONLY|PERM|CORRUPT|AUTH)/;

/** True for SQLite's "database is locked" family, which a later retry may clear. */
export function isBusy(err: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code ?? ''));
}

/** Wraps `err` (thrown while doing `action` on `file`) in the matching kombu error, keeping it as `cause`. */
export function toTransportError(err: unknown, action: string, file: string): Error {
  if (err instanceof TransportError || err instanceof ConfigurationError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  if (isBusy(err)) {
    return new ConnectionError(`sqlite broker ${file} stayed locked while ${action} (${reason}): another process holds a write transaction; retry`, { cause: err });
  }
  if (CONFIG.test(String((err as { code?: unknown }).code ?? ''))) {
    return new ConfigurationError(`sqlite broker ${file} failed while ${action} (${reason}): point the broker URL at a writable SQLite file`, { cause: err });
  }
  return new TransportError(`sqlite broker ${file} failed while ${action}: ${reason}`, { cause: err });
}
