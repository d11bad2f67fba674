/**
 * Turns a pool child's start failure (billiard `WorkerInitError`, whose `cause` is the child's own
 * error) into a {@link PoolStartError} that names the app module, quotes the child's error and says
 * how to fix the usual causes:
 *
 * - `.ts` app module without a TypeScript loader in the child (`ERR_UNKNOWN_FILE_EXTENSION`);
 * - a `.ts` app module loaded as CommonJS (`ERR_REQUIRE_CYCLE_MODULE`, no `"type": "module"`);
 * - a package the app imports that cannot be found from the app module (`ERR_MODULE_NOT_FOUND`);
 * - a module that exports no app;
 * - anything else: the module must load on its own in a fresh process (a throw while it loads).
 */
import { WorkerInitError } from '@cq/billiard';
import { PoolStartError } from './errors.js';

function hint(cause: Error & { code?: unknown }, appModule: string): string {
  switch (cause.code) {
    case 'ERR_UNKNOWN_FILE_EXTENSION':
      return 'the child has no TypeScript loader: start the worker with `cq worker -A <module>` (it gives its children tsx), '
        + 'run this process with `node --import tsx`, or give the compiled .js module';
    case 'ERR_REQUIRE_CYCLE_MODULE':
      return `the .ts module was loaded as CommonJS: add "type": "module" to the package.json beside ${appModule}, or name it .mts`;
    case 'ERR_MODULE_NOT_FOUND':
    case 'MODULE_NOT_FOUND':
      return `a module the app imports cannot be found from ${appModule}: install it in that project (npm install ...)`;
    default:
      if (/does not export a Celery app/.test(cause.message)) return 'export the app as `app` or as the default export, or give `path:name`';
      return 'each child imports the app module in a fresh process: it must load there on its own (environment, files, '
        + 'imports), and a throw while it loads stops the child';
  }
}

/** The error a `prefork`/`threads` pool rejects `onStart` with when a child cannot start. */
export function poolStartError(error: unknown, kind: string, appModule: string): Error {
  if (!(error instanceof WorkerInitError)) return error instanceof Error ? error : new Error(String(error));
  const cause = error.cause instanceof Error ? error.cause : error;
  const message = `${kind} pool: a child could not start with the app module ${appModule}: `
    + `${cause.name}: ${cause.message}\nHint: ${hint(cause, appModule)}`;
  return new PoolStartError(message, { cause: error });
}
