/**
 * How children are started, and TypeScript support. The child main is `child-main.js` beside this
 * module (`child-main.ts` when running from source). A child needs a TypeScript loader when the child
 * main or the entry is a `.ts`/`.mts`/`.cts` file:
 *
 * - prefork: children inherit the parent's `process.execArgv` (so `--import tsx` and
 *   `--conditions=@cq/source` carry over) and `NODE_OPTIONS`; if neither loads tsx, `--import <tsx>` is added.
 * - threads: on Node 20, loader hooks (`--import tsx`) never apply inside worker threads (nodejs/node#47747,
 *   per-thread hooks came with Node 22.2), so the thread registers tsx's CommonJS hook (`tsx/cjs/api`)
 *   and `require()`s the child main and the entry: TypeScript ESM is transformed to CommonJS. Limits:
 *   no top-level `await` in thread entries, and `import()` of a `.ts` file from inside them fails.
 */

import { createRequire } from 'node:module';
import { extname, isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WorkerInitError } from './errors.js';
import type { ChildSpec } from './child.js';

const TYPESCRIPT = /\.[mc]?tsx?$/;

/** Options that shape a child; see `PoolOptions`. */
export interface ChildSpecOptions {
  kind: 'prefork' | 'threads';
  entry: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Normalizes an absolute path or file URL to a path; throws `TypeError` for anything else. */
export function entryPath(entry: string | URL): string {
  const path = entry instanceof URL || entry.startsWith('file:') ? fileURLToPath(entry) : entry;
  if (!isAbsolute(path)) throw new TypeError(`pool entry must be an absolute path or a file URL, got ${String(entry)}`);
  return path;
}

function resolveTsx(specifier: string, entry: string): string {
  for (const base of [entry, `${process.cwd()}/`, import.meta.url]) {
    try {
      return createRequire(base).resolve(specifier);
    } catch {
      // try the next base
    }
  }
  throw new WorkerInitError(`a TypeScript entry needs tsx: cannot resolve '${specifier}' (install tsx, or give a .js entry)`);
}

function loadsTsx(execArgv: readonly string[]): boolean {
  return /\btsx\b/.test([...execArgv, process.env.NODE_OPTIONS ?? ''].join(' '));
}

export function childSpec(options: ChildSpecOptions): ChildSpec {
  const here = fileURLToPath(import.meta.url);
  const childMain = fileURLToPath(new URL(`./child-main${extname(here)}`, import.meta.url));
  const needsTs = TYPESCRIPT.test(childMain) || TYPESCRIPT.test(options.entry);
  let execArgv = options.execArgv;
  let tsxCjsApi: string | undefined;
  if (needsTs && options.kind === 'prefork') {
    const inherited = execArgv ?? process.execArgv;
    if (!loadsTsx(inherited)) execArgv = [...inherited, '--import', pathToFileURL(resolveTsx('tsx', options.entry)).href];
  } else if (needsTs) tsxCjsApi = resolveTsx('tsx/cjs/api', options.entry);
  return { childMain, execArgv, env: options.env, tsxCjsApi };
}
