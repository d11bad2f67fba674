/**
 * The local files an app module is made of: the module itself and, transitively, every file it
 * imports by a relative or absolute path (`from './helper.js'`, `import('./x.ts')`, `require('../y')`,
 * `export * from`), found by reading the sources. Packages (bare specifiers such as `@cq/celery`),
 * `node:` built-ins, `#imports`, tsconfig `paths` aliases, computed `import(name)` and anything under
 * a `node_modules` directory are not followed. Specifiers resolve as TypeScript projects write them:
 * `./x.js` finds `x.ts` (`.jsx`→`.tsx`, `.mjs`→`.mts`, `.cjs`→`.cts`), and an extensionless `./x`
 * finds `x.ts`, `x.js`, ... or `x/index.ts`, ...
 *
 * The scan is textual (no parser): a commented-out import of a file that exists adds that file, which
 * costs only a reload too many when it changes.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files whose imports are followed. */
const SOURCE = /\.[cm]?[jt]sx?$/;
/** `from '…'`, `import '…'`, `import('…')`, `require('…')`. */
const SPECIFIER = /\b(?:from|import|require)\s*\(?\s*(['"])([^'"\r\n]+)\1/g;
/** What a `.js`-style specifier may stand for in a TypeScript project. */
const TS_FOR_JS: Record<string, string> = { '.js': '.ts', '.jsx': '.tsx', '.mjs': '.mts', '.cjs': '.cts' };
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.json'];

const isFile = (file: string): boolean => {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The file a relative/absolute specifier names from `fromFile`, or null (a package, a built-in, missing). */
export function resolveLocal(specifier: string, fromFile: string): string | null {
  let target: string;
  if (specifier.startsWith('file:')) target = fileURLToPath(specifier);
  else if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') target = path.resolve(path.dirname(fromFile), specifier);
  else if (path.isAbsolute(specifier)) target = specifier;
  else return null;
  const ext = path.extname(target);
  const candidates = [target];
  if (TS_FOR_JS[ext]) candidates.push(target.slice(0, -ext.length) + TS_FOR_JS[ext]);
  else if (!EXTENSIONS.includes(ext)) candidates.push(...EXTENSIONS.map((e) => target + e), ...EXTENSIONS.map((e) => path.join(target, `index${e}`)));
  const found = candidates.find(isFile);
  return found === undefined || found.split(path.sep).includes('node_modules') ? null : found;
}

/**
 * `entry` (an absolute path) and the local files it imports, transitively, in discovery order.
 * A file that cannot be read is listed (it may come back) but not followed.
 */
export function localModuleGraph(entry: string): string[] {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (!SOURCE.test(file)) continue;
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const match of source.matchAll(SPECIFIER)) {
      const found = resolveLocal(match[2]!, file);
      if (found === null || seen.has(found)) continue;
      seen.add(found);
      queue.push(found);
    }
  }
  return [...seen];
}
