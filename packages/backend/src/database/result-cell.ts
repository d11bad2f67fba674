/**
 * The `result` cells of Celery's tables, as Python's `PickleType` column holds them.
 *
 * Task table: the value Celery stores is the encoded result itself (`Backend.encode_result`), not
 * the serializer's bytes: a return value as it is, and for FAILURE/RETRY/REVOKED with a non-pickle
 * `result_serializer` (json, Celery's default) the dict `{'exc_type', 'exc_message', 'exc_module'}`
 * whose `exc_message` is a **tuple** (`ensure_serializable` returns one). cq writes exactly that;
 * reading gives the tuple back as an array. With `result_serializer = 'pickle'` Python stores the
 * exception object instead, which the safe reader refuses (UnsafePickleError).
 *
 * Group table: see `group-result-pickle.ts`.
 *
 * Earlier cq versions (SQLite only) wrote the result serializer's bytes (JSON) into these cells. A
 * pickle always starts with PROTO (0x80) and JSON text never does, so a cell is read as a pickle when
 * it starts with 0x80 and as the result serializer's bytes otherwise.
 */
import { EXCEPTION_STATES, type State } from '../states.js';
import { isExceptionInfo } from '../exceptions.js';
import { resultObjectFromTuple, isResultTuple, resultTupleFromObject } from './group-result-pickle.js';
import { loadsPickle } from './pickle-reader.js';
import { dumpsPickle } from './pickle-writer.js';
import { PickleTuple } from './python-values.js';

/** Reads the bytes of a legacy (non-pickle) cell with the result serializer. */
export type LegacyDecode = (bytes: Buffer) => unknown;

/** True when `cell` holds a pickle (protocol 2 or later, what SQLAlchemy writes). */
export function isPickle(cell: Uint8Array): boolean {
  return cell.length > 0 && cell[0] === 0x80;
}

/** The pickle of a task's stored result, `exc_message` of an exception state as a tuple. */
export function encodeTaskResult(result: unknown, state: State): Buffer {
  if (EXCEPTION_STATES.has(state) && isExceptionInfo(result)) {
    const { exc_type, exc_message, exc_module, ...rest } = result as { exc_type: string; exc_message?: unknown; exc_module?: unknown };
    const args = Array.isArray(exc_message) ? exc_message : exc_message === undefined ? [] : [exc_message];
    return dumpsPickle({ exc_type, exc_message: new PickleTuple(args), exc_module: exc_module ?? null, ...rest });
  }
  return dumpsPickle(result);
}

/** A task's stored result (see the module doc); legacy cells through `legacy`. */
export function decodeTaskResult(cell: Buffer, legacy: LegacyDecode): unknown {
  return isPickle(cell) ? loadsPickle(cell) : legacy(cell);
}

/** The pickle of a saved group: a Python GroupResult for a result tuple, else the value as is. */
export function encodeGroupResult(result: unknown): Buffer {
  return dumpsPickle(isResultTuple(result) ? resultObjectFromTuple(result) : result);
}

/** A saved group's result tuple (see `group-result-pickle.ts`); legacy cells through `legacy`. */
export function decodeGroupResult(cell: Buffer, legacy: LegacyDecode): unknown {
  return isPickle(cell) ? resultTupleFromObject(loadsPickle(cell, { mode: 'symbolic' })) : legacy(cell);
}
