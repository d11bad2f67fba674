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
 *
 * A JavaScript child main and entry that import TypeScript of their own (`typescript: true`: a worker
 * whose app module is `.ts`, run from an installed, built cq) need tsx too. The tsx used is the one
 * the parent runs with (an `--import`/`--require` of tsx in `execArgv` or `NODE_OPTIONS`, as `cq`
 * sets for a `.ts` app), else one resolved from the entry, the working directory, then this package.
 * prefork adds `--import <tsx>` unless inherited; a thread registers tsx's ESM hooks itself
 * (`tsx/esm/api` `register()`: hooks registered from inside a thread do apply there, checked on Node
 * 20.20) and then imports the child main.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, join } from 'node:path';
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
  /** The entry imports TypeScript modules itself: children get tsx even for a JavaScript entry. */
  typescript?: boolean;
}

/** Normalizes an absolute path or file URL to a path; throws `TypeError` for anything else. */
export function entryPath(entry: string | URL): string {
  const path = entry instanceof URL || entry.startsWith('file:') ? fileURLToPath(entry) : entry;
  if (!isAbsolute(path)) throw new TypeError(`pool entry must be an absolute path or a file URL, got ${String(entry)}`);
  return path;
}

function resolveTsx(specifier: string, entry: string, bases: readonly string[] = []): string {
  for (const base of [...bases, entry, `${process.cwd()}/`, import.meta.url]) {
    try {
      return createRequire(base).resolve(specifier);
    } catch {
      // try the next base
    }
  }
  throw new WorkerInitError(`a TypeScript entry needs tsx: cannot resolve '${specifier}' (install tsx, or give a .js entry)`);
}

/** `--import`, `--require` and `--loader` values of `execArgv` and `NODE_OPTIONS`, in order. */
function preloads(execArgv: readonly string[]): string[] {
  const args = [...execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  const values: string[] = [];
  args.forEach((arg, i) => {
    const inline = /^--(?:import|require|loader|experimental-loader)=(.+)$/.exec(arg);
    if (inline) values.push(inline[1]!);
    else if (/^(?:--import|--require|-r|--loader|--experimental-loader)$/.test(arg) && args[i + 1] !== undefined) values.push(args[i + 1]!);
  });
  return values;
}

function loadsTsx(execArgv: readonly string[]): boolean {
  return preloads(execArgv).some((value) => /\btsx\b/.test(value));
}

/**
 * Where the tsx the parent preloads lives, as a base to resolve `tsx/...` from: the path of a
 * `file:` URL or absolute path naming a tsx file; a bare `tsx` resolves from the working directory.
 */
function parentTsxBases(execArgv: readonly string[]): string[] {
  return preloads(execArgv)
    .filter((value) => /\btsx\b/.test(value))
    .map((value) => (value.startsWith('file:') ? fileURLToPath(value) : isAbsolute(value) ? value : `${process.cwd()}/`));
}

/**
 * The file a package's `exports[subpath]` names under the `import` condition (require.resolve only
 * follows `require`, and the CommonJS build of `tsx/esm/api` cannot register hooks from a thread).
 */
function importTarget(packageJson: string, subpath: string): string {
  let target: unknown = (JSON.parse(readFileSync(packageJson, 'utf8')) as { exports?: Record<string, unknown> }).exports?.[subpath];
  while (target !== null && typeof target === 'object') target = (target as Record<string, unknown>)['import'] ?? (target as Record<string, unknown>)['default'];
  if (typeof target !== 'string') throw new WorkerInitError(`${packageJson} exports no '${subpath}' for import: a TypeScript thread needs tsx 4 or later`);
  return join(dirname(packageJson), target);
}

/** How to start the pool's children, TypeScript loader included (see the module doc). @throws WorkerInitError when tsx is needed and cannot be resolved. */
export function childSpec(options: ChildSpecOptions): ChildSpec {
  const here = fileURLToPath(import.meta.url);
  const childMain = fileURLToPath(new URL(`./child-main${extname(here)}`, import.meta.url));
  const sourceTs = TYPESCRIPT.test(childMain) || TYPESCRIPT.test(options.entry);
  const needsTs = sourceTs || options.typescript === true;
  const inherited = options.execArgv ?? process.execArgv;
  let execArgv = options.execArgv;
  let tsxCjsApi: string | undefined;
  let tsxEsmApi: string | undefined;
  if (needsTs && options.kind === 'prefork') {
    if (!loadsTsx(inherited)) execArgv = [...inherited, '--import', pathToFileURL(resolveTsx('tsx', options.entry)).href];
  } else if (needsTs && sourceTs) tsxCjsApi = resolveTsx('tsx/cjs/api', options.entry);
  else if (needsTs) tsxEsmApi = importTarget(resolveTsx('tsx/package.json', options.entry, parentTsxBases(inherited)), './esm/api');
  return { childMain, execArgv, env: options.env, tsxCjsApi, tsxEsmApi };
}
