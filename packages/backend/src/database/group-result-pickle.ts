/**
 * The group table's `result` cell. Python's `GroupResult.save()` stores the `GroupResult` object
 * itself (the database backend's `_save_group` pickles what it is given), so the cell is a pickle of
 * `celery.result.GroupResult(id, [celery.result.AsyncResult(id, backend, None, None, parent), …])`,
 * the backend object included.
 *
 * Writing: cq writes that same shape with `backend=None` (Python's AsyncResult then uses its app's
 * backend), so `GroupResult.restore(id)` in Python gives a GroupResult.
 * Reading: the cell is read in the reader's symbolic mode, where names and calls are inert records;
 * this module takes the ids out of the `GroupResult`/`AsyncResult` records and ignores everything
 * else (the backend record). Any other class at those places is refused with UnsafePickleError.
 * Nothing is looked up or called.
 */
import { UnsafePickleError } from '../errors.js';
import type { ResultTuple } from '../types.js';
import { PickleCall, PickleGlobal } from './python-values.js';

const RESULT_MODULE = 'celery.result';
const GROUP_RESULT = new PickleGlobal(RESULT_MODULE, 'GroupResult');
const ASYNC_RESULT = new PickleGlobal(RESULT_MODULE, 'AsyncResult');

/** True for Celery's result tuple shape: `[[id, parent|null], children|null]`. */
export function isResultTuple(value: unknown): value is ResultTuple {
  if (!Array.isArray(value) || value.length !== 2) return false;
  const [head, children] = value as unknown[];
  if (!Array.isArray(head) || head.length !== 2 || typeof head[0] !== 'string') return false;
  if (head[1] !== null && !isResultTuple(head[1])) return false;
  return children === null || (Array.isArray(children) && children.every(isResultTuple));
}

/** The Python object for a result tuple: a GroupResult when it has children, else an AsyncResult. */
export function resultObjectFromTuple(tuple: ResultTuple): PickleCall {
  const [[id, parent], children] = tuple;
  if (children !== null) return new PickleCall(GROUP_RESULT, [id, children.map(resultObjectFromTuple)]);
  return new PickleCall(ASYNC_RESULT, [id, null, null, null, parent === null ? null : resultObjectFromTuple(parent)]);
}

/**
 * The result tuple of a group cell read symbolically: a `GroupResult`/`AsyncResult` record, or a
 * plain tuple as stored by other writers.
 * @throws UnsafePickleError when the cell holds any other object.
 */
export function resultTupleFromObject(value: unknown): unknown {
  if (!(value instanceof PickleCall) && !(value instanceof PickleGlobal)) {
    refuseSymbols(value);
    return value;
  }
  return toTuple(value);
}

function toTuple(value: unknown): ResultTuple {
  if (value instanceof PickleCall && value.is(RESULT_MODULE, 'GroupResult')) {
    const [id, results] = value.args;
    const children = Array.isArray(results) ? results.map(toTuple) : [];
    return [[expectId(id), null], children];
  }
  if (value instanceof PickleCall && value.is(RESULT_MODULE, 'AsyncResult')) {
    const [id, , , , parent] = value.args;
    return [[expectId(id), parent == null ? null : toTuple(parent)], null];
  }
  if (isResultTuple(value)) return value;
  throw refusal(value);
}

function expectId(id: unknown): string {
  if (typeof id !== 'string') throw new UnsafePickleError('the group row holds a result whose id is not a string', 'REDUCE (0x52)', 0);
  return id;
}

/** Plain data read symbolically must hold no record at all. */
function refuseSymbols(value: unknown): void {
  const work: unknown[] = [value];
  const seen = new Set<unknown>();
  while (work.length > 0) {
    const item = work.pop();
    if (item instanceof PickleCall || item instanceof PickleGlobal) throw refusal(item);
    if (typeof item !== 'object' || item === null || Buffer.isBuffer(item) || seen.has(item)) continue;
    seen.add(item);
    work.push(...(Array.isArray(item) ? (item as unknown[]) : Object.values(item as Record<string, unknown>)));
  }
}

function refusal(value: unknown): UnsafePickleError {
  const callable = value instanceof PickleCall ? value.callable : value;
  const name = callable instanceof PickleGlobal ? callable.qualifiedName : 'an object';
  return new UnsafePickleError(
    `refused the group row: it holds ${name}, not a celery.result.GroupResult of AsyncResults; nothing was executed`,
    value instanceof PickleCall ? 'REDUCE (0x52)' : 'STACK_GLOBAL (0x93)', 0,
  );
}
