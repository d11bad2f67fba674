/**
 * Task exceptions on the wire (Celery `Backend.prepare_exception` / `exception_to_python` with a
 * non-pickle serializer): `{"exc_type": <class name>, "exc_message": <args list>, "exc_module": <module>}`.
 *
 * Mapping JS errors to Python: Python resolves `exc_module: "builtins"` to the real built-in class, and
 * synthesises a class of the given name for `exc_module: null`. So a JS error is sent under a Python
 * built-in name when one fits, with `exc_module: "builtins"`:
 *
 * | JS `name`                         | `exc_type`        | why                                     |
 * |-----------------------------------|-------------------|-----------------------------------------|
 * | `Error` (plain)                   | `Exception`       | the base class of both worlds           |
 * | `RangeError`, `URIError`          | `ValueError`      | right type, inappropriate value         |
 * | `ReferenceError`                  | `NameError`       | JS "x is not defined"; Python's own ReferenceError means a dead weakref |
 * | any other Python built-in name (`TypeError`, `SyntaxError`, `TimeoutError`, `AssertionError`, …) | same | |
 *
 * Any other name keeps its own name, with `exc_module` taken from a string `module` property on the
 * error when present, else `null`. A {@link RemoteTaskError} is sent back exactly as it was received.
 */
import { kombuJson } from '@cq/kombu';
import { InvalidExceptionInfoError } from './errors.js';

/** The exception dict Celery stores as `result` for FAILURE, RETRY and REVOKED. */
export interface ExceptionInfo {
  /** Class name (Python `__qualname__`). */
  exc_type: string;
  /** The exception's args (Python `exc.args`); values that do not serialize are replaced by text. */
  exc_message: unknown[];
  /** Python module of the class, `"builtins"` for built-ins, or null. */
  exc_module: string | null;
}

/** Exception dicts as other writers may store them: `exc_message` may be a bare value. */
export interface ExceptionInfoLike {
  exc_type: string;
  exc_message?: unknown;
  exc_module?: string | null;
}

// Names in Python 3's `builtins` that are exception classes (warnings left out).
const PYTHON_BUILTINS: ReadonlySet<string> = new Set([
  'BaseException', 'BaseExceptionGroup', 'Exception', 'ExceptionGroup', 'GeneratorExit', 'KeyboardInterrupt',
  'SystemExit', 'ArithmeticError', 'FloatingPointError', 'OverflowError', 'ZeroDivisionError', 'AssertionError',
  'AttributeError', 'BufferError', 'EOFError', 'ImportError', 'ModuleNotFoundError', 'LookupError',
  'IndexError', 'KeyError', 'MemoryError', 'NameError', 'UnboundLocalError', 'OSError', 'EnvironmentError',
  'IOError', 'BlockingIOError', 'ChildProcessError', 'ConnectionError', 'BrokenPipeError',
  'ConnectionAbortedError', 'ConnectionRefusedError', 'ConnectionResetError', 'FileExistsError',
  'FileNotFoundError', 'InterruptedError', 'IsADirectoryError', 'NotADirectoryError', 'PermissionError',
  'ProcessLookupError', 'TimeoutError', 'ReferenceError', 'RuntimeError', 'NotImplementedError',
  'RecursionError', 'StopAsyncIteration', 'StopIteration', 'SyntaxError', 'IndentationError', 'TabError',
  'SystemError', 'TypeError', 'ValueError', 'UnicodeError', 'UnicodeDecodeError', 'UnicodeEncodeError',
  'UnicodeTranslateError',
]);

const JS_TO_PYTHON: Readonly<Record<string, string>> = {
  Error: 'Exception',
  RangeError: 'ValueError',
  URIError: 'ValueError',
  ReferenceError: 'NameError',
};

/**
 * A task failure read back from a result backend (Celery rebuilds the exception class; JS cannot, so
 * this one class stands for all of them). `name` is the remote `exc_type`, `message` is built from
 * `exc_message` like Python's `str(exc)` (one arg: its text; several: joined with ", ").
 */
export class RemoteTaskError extends Error {
  readonly code = 'CQ_BACKEND_REMOTE_TASK_ERROR';
  /** Remote class name, e.g. `"ValueError"`. */
  readonly excType: string;
  /** Remote module, e.g. `"builtins"`, or null. */
  readonly excModule: string | null;
  /** Remote exception args. */
  readonly excMessage: unknown[];
  /** The traceback text stored with the failure, if any. */
  readonly traceback: string | null;

  constructor(info: ExceptionInfoLike, options: { traceback?: string | null; cause?: unknown } = {}) {
    const args = Array.isArray(info.exc_message) ? (info.exc_message as unknown[]) : info.exc_message === undefined ? [] : [info.exc_message];
    super(args.map(argText).join(', '), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = info.exc_type;
    this.excType = info.exc_type;
    this.excModule = info.exc_module ?? null;
    this.excMessage = args;
    this.traceback = options.traceback ?? null;
  }
}

/** True when `value` looks like a stored exception dict (has a string `exc_type`). */
export function isExceptionInfo(value: unknown): value is ExceptionInfoLike {
  return typeof value === 'object' && value !== null && typeof (value as { exc_type?: unknown }).exc_type === 'string';
}

/**
 * Turn anything thrown into Celery's exception dict (Celery `prepare_exception`, json flavour).
 * Errors use their `args` array when they have one, else `[message]` (`[]` for an empty message);
 * a thrown non-Error becomes a builtins `Exception` whose single arg is the value.
 */
export function prepareException(err: unknown): ExceptionInfo {
  if (err instanceof RemoteTaskError) {
    return { exc_type: err.excType, exc_message: err.excMessage.map(serializableArg), exc_module: err.excModule };
  }
  if (!(err instanceof Error)) {
    return { exc_type: 'Exception', exc_message: [serializableArg(err)], exc_module: 'builtins' };
  }
  const jsName = err.name && err.name !== 'Error' ? err.name : (err.constructor?.name || 'Error');
  const excType = JS_TO_PYTHON[jsName] ?? jsName;
  const ownArgs = (err as { args?: unknown }).args;
  const args = Array.isArray(ownArgs) ? ownArgs : err.message === '' ? [] : [err.message];
  const ownModule = (err as { module?: unknown }).module;
  const excModule = PYTHON_BUILTINS.has(excType) ? 'builtins' : typeof ownModule === 'string' ? ownModule : null;
  return { exc_type: excType, exc_message: args.map(serializableArg), exc_module: excModule };
}

/**
 * Rebuild a stored exception dict as a {@link RemoteTaskError} (Celery `exception_to_python`).
 * @param traceback the meta's `traceback`, kept on the error.
 * @throws InvalidExceptionInfoError when `info` has no string `exc_type`.
 */
export function errorFromExceptionInfo(info: unknown, traceback: string | null = null): RemoteTaskError {
  if (!isExceptionInfo(info)) {
    throw new InvalidExceptionInfoError('exception information must include the exception type (exc_type)');
  }
  return new RemoteTaskError(info, { traceback });
}

function serializableArg(value: unknown): unknown {
  if (value === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof value)) return value;
  if (value === undefined) return null;
  try {
    kombuJson.stringify(value);
    return value;
  } catch {
    return String(value);
  }
}

function argText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return kombuJson.stringify(value);
  } catch {
    return String(value);
  }
}
