/**
 * Loads the app module given to `-A`: a path to a `.js`, `.mjs` or `.ts` file (TypeScript through
 * tsx) that exports the app as `app` or as the default export; `path:name` picks another export.
 * Without `-A`, a bare app is created so `cq call`/`cq result` work from any shell.
 *
 * TypeScript: this process registers the tsx the CLI depends on, and adds `--import <that tsx>` to
 * `process.execArgv`, so the children of a `prefork` pool (which inherit `process.execArgv`, as from
 * `node --import tsx`) load the `.ts` app module too, from any project; a `threads` child finds the
 * same tsx there and registers it itself (@cq/billiard README, "TypeScript entries").
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Celery } from '@cq/celery';
import { CliError } from './errors.js';

let tsxRegistered = false;

/** Registers tsx here (once) and hands it to the children this process will start. */
async function registerTsx(): Promise<void> {
  if (tsxRegistered) return;
  const api = (await import('tsx/esm/api')) as { register: () => unknown };
  api.register();
  if (!process.execArgv.some((arg) => /\btsx\b/.test(arg))) {
    // The CLI's own tsx as an absolute file URL: it resolves from the user's project whatever its node_modules hold.
    process.execArgv.push('--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
  }
  tsxRegistered = true;
}

/** Imports the `-A` module; a `.ts` file that Node takes for CommonJS fails with how to fix it. */
async function importModule(spec: string, file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_REQUIRE_CYCLE_MODULE' || !/\.ts$/.test(file)) throw error;
    throw new CliError(`-A ${spec}: ${file} is ES module TypeScript in a CommonJS package: add "type": "module" to the `
      + 'package.json that holds it, or name it .mts', 2, { cause: error });
  }
}

/** Imports the module and returns its app. Throws {@link CliError} naming what was expected. */
export async function loadApp(spec: string | undefined): Promise<Celery> {
  if (!spec) return new Celery('cq');
  const colon = spec.lastIndexOf(':');
  const hasAttr = colon > 1 && !spec.slice(colon).includes('/');
  const file = path.resolve(hasAttr ? spec.slice(0, colon) : spec);
  const attr = hasAttr ? spec.slice(colon + 1) : null;
  if (!existsSync(file)) throw new CliError(`-A ${spec}: no such file ${file}; give the path of the module that creates your app (e.g. -A ./tasks.ts)`);
  if (/\.[cm]?ts$/.test(file)) await registerTsx();
  const mod = await importModule(spec, file);
  const candidate = attr ? mod[attr] : mod['app'] ?? mod['default'];
  if (!Celery.isApp(candidate)) {
    const exported = Object.keys(mod).join(', ') || 'nothing';
    throw new CliError(`-A ${spec}: the module must export a Celery app as \`app\` or as default${attr ? ` (looked for \`${attr}\`)` : ''}; it exports: ${exported}`);
  }
  return candidate;
}
