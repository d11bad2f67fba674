/**
 * Running the Python side of an interop test: a script handed to Debian's Python with `-c`, tracked
 * like every test process. `databaseInteropPython` is the `runPython` that `describeDatabaseBackend`
 * of `@cq/backend/testing` asks its caller for (that suite ships with @cq/backend and so cannot use
 * this package).
 */
import { promisify } from 'node:util';
import { PythonScriptError } from './errors.js';
import { requirePython, type PythonModule } from './peers.js';
import { execFileTracked } from './processes.js';

const exec = promisify(execFileTracked);

/** Runs `script` with `args` and resolves with its stdout. */
export type PythonScriptRunner = (script: string, args: readonly string[]) => Promise<string>;

/**
 * The `runPython` of `describeDatabaseBackend`: `/usr/bin/python3 -c script ...args` (60 s at most),
 * resolving with its stdout. Each call first checks that `modules` import (Celery, SQLAlchemy and
 * the database's Python driver, e.g. `['celery', 'sqlalchemy', 'psycopg2']`).
 * @throws MissingPeerError naming the `apt-get install` command when a module is missing.
 * @throws PythonScriptError (rejection) with Python's stderr when the script fails; its message names
 *         the suite script's command (the 4th argument: `<url> <task table> <group table> <command> <json>`).
 */
export function databaseInteropPython(modules: readonly PythonModule[]): PythonScriptRunner {
  return async (script, args) => {
    const python = requirePython(modules);
    try {
      return (await exec(python, ['-c', script, ...args], { timeout: 60_000 })).stdout;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr;
      throw new PythonScriptError(`Python failed (${args[3] ?? ''}): ${stderr ?? String(err)}`, stderr ?? '', { cause: err });
    }
  };
}
