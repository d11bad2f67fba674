/**
 * Errors across the process/thread boundary. Structured clone keeps only a few built-in error names and
 * drops own fields, so an error crosses as a plain record and is re-created in the parent as an `Error`
 * with the same `name`, `message`, `stack`, own enumerable fields (e.g. `code`) and `cause`.
 */

import { SoftTimeLimitExceeded } from './errors.js';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  /** Own enumerable fields of the original error. */
  data: Record<string, unknown>;
}

const RESERVED = new Set(['name', 'message', 'stack', 'cause']);

/** Turn anything thrown into a {@link SerializedError}; non-cloneable fields are stringified. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), data: {} };
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (RESERVED.has(key)) continue;
    data[key] = typeof value === 'function' || typeof value === 'symbol' ? String(value) : value;
  }
  const out: SerializedError = { name: error.name, message: error.message, data };
  if (error.stack !== undefined) out.stack = error.stack;
  if (error.cause !== undefined && depth < 8) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/** Re-create an `Error` from {@link serializeError}'s record (a `SoftTimeLimitExceeded` as that class). */
export function deserializeError(record: SerializedError): Error {
  const options = record.cause === undefined ? undefined : { cause: deserializeError(record.cause) };
  const error = record.name === 'SoftTimeLimitExceeded' ? new SoftTimeLimitExceeded(record.message, options) : new Error(record.message, options);
  Object.defineProperty(error, 'name', { value: record.name, writable: true, configurable: true, enumerable: false });
  if (record.stack !== undefined) error.stack = record.stack;
  Object.assign(error, record.data);
  return error;
}
