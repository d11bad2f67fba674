import { describe, expect, it } from 'vitest';
import { WorkerInitError } from '@cq/billiard';
import { PoolStartError } from './errors.js';
import { poolStartError } from './pool-start-error.js';

/** A billiard start failure whose cause is a child's error with `code`. */
function initError(message: string, code?: string): WorkerInitError {
  const cause = Object.assign(new Error(message), code === undefined ? {} : { code });
  return new WorkerInitError(`a pool child failed to start: ${message}`, { cause });
}

describe('poolStartError', () => {
  it('explains a .ts app module in a child without a TypeScript loader', () => {
    const error = poolStartError(initError('Unknown file extension ".ts" for /p/tasks.ts', 'ERR_UNKNOWN_FILE_EXTENSION'), 'prefork', '/p/tasks.ts');
    expect(error).toBeInstanceOf(PoolStartError);
    expect(error.message).toBe('prefork pool: a child could not start with the app module /p/tasks.ts: Error: Unknown file extension ".ts" for /p/tasks.ts\n'
      + 'Hint: the child has no TypeScript loader: start the worker with `cq worker -A <module>` (it gives its children tsx), '
      + 'run this process with `node --import tsx`, or give the compiled .js module');
    expect(error.cause).toBeInstanceOf(WorkerInitError);
  });

  it('explains a .ts module loaded as CommonJS and a module that exports no app', () => {
    expect(poolStartError(initError('Cannot require() ES Module', 'ERR_REQUIRE_CYCLE_MODULE'), 'threads', '/p/tasks.ts').message)
      .toContain('Hint: the .ts module was loaded as CommonJS: add "type": "module" to the package.json beside /p/tasks.ts, or name it .mts');
    expect(poolStartError(initError('app module /p/t.js does not export a Celery app as `app` or default'), 'threads', '/p/t.js').message)
      .toContain('Hint: export the app as `app` or as the default export, or give `path:name`');
  });

  it('passes other errors through unchanged', () => {
    const other = new RangeError('bad size');
    expect(poolStartError(other, 'prefork', '/p/t.js')).toBe(other);
  });
});
