/**
 * Loads the app module given to `-A`: a path to a `.js`, `.mjs` or `.ts` file (TypeScript through
 * tsx) that exports the app as `app` or as the default export; `path:name` picks another export.
 * Without `-A`, a bare app is created so `cq call`/`cq result` work from any shell.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Celery } from '@cq/celery';
import { CliError } from './errors.js';

let tsxRegistered = false;

async function registerTsx(): Promise<void> {
  if (tsxRegistered) return;
  const api = (await import('tsx/esm/api')) as { register: () => unknown };
  api.register();
  tsxRegistered = true;
}

function isApp(value: unknown): value is Celery {
  return typeof value === 'object' && value !== null && value instanceof Celery;
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
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = attr ? mod[attr] : mod['app'] ?? mod['default'];
  if (!isApp(candidate)) {
    const exported = Object.keys(mod).join(', ') || 'nothing';
    throw new CliError(`-A ${spec}: the module must export a Celery app as \`app\` or as default${attr ? ` (looked for \`${attr}\`)` : ''}; it exports: ${exported}`);
  }
  return candidate;
}
