/**
 * Backend registry: URL schemes resolved to packages, imported only when used (Celery
 * `celery/app/backends.py` `BACKEND_ALIASES` / `by_url`).
 *
 * Convention for backend packages: the package's entry module has a DEFAULT export, the Backend
 * subclass, with a static `fromUrl(url, options)` that returns the backend (or a promise of it).
 * `createBackend` passes the whole URL, scheme prefix included (`db+sqlite://…`).
 */
import type { Backend, BackendOptions } from './backend.js';
import { BackendNotInstalledError, UnknownBackendError } from './errors.js';
import { MemoryBackend } from './memory.js';
import { closestName, importPackage } from '@cq/kombu';

/** What a backend package exports as default. */
export interface BackendFactory {
  fromUrl(url: string, options?: BackendOptions): Backend | Promise<Backend>;
}

/** Loads a backend's factory (usually a dynamic `import()` of its package). */
export type BackendLoader = () => Promise<BackendFactory>;

const fromPackage = (pkg: string): BackendLoader => async () => {
  // Looked up from this package and then from the application (pnpm keeps packages strict).
  const mod = await importPackage<{ default?: Partial<BackendFactory> }>(pkg);
  if (!mod) throw new BackendNotInstalledError(pkg, `the result backend package ${pkg} is not installed: run \`pnpm add ${pkg}\``);
  if (typeof mod.default?.fromUrl !== 'function') {
    throw new BackendNotInstalledError(pkg, `${pkg} has no default export with fromUrl(): is it a cq result backend package?`);
  }
  return mod.default as BackendFactory;
};

const builtin = (factory: BackendFactory): BackendLoader => async () => factory;

const loaders = new Map<string, BackendLoader>([
  ['memory', builtin(MemoryBackend)],
  ['cache+memory', builtin(MemoryBackend)],
  ['sqlite', fromPackage('@cq/backend-sqlite')],
  ['db+sqlite', fromPackage('@cq/backend-sqlite')],
  ['redis', fromPackage('@cq/backend-redis')],
  ['rediss', fromPackage('@cq/backend-redis')],
  ['postgres', fromPackage('@cq/backend-postgres')],
  ['postgresql', fromPackage('@cq/backend-postgres')],
  ['db+postgresql', fromPackage('@cq/backend-postgres')],
  ['mongodb', fromPackage('@cq/backend-mongodb')],
  ['mongodb+srv', fromPackage('@cq/backend-mongodb')],
  ['rpc', fromPackage('@cq/backend-rpc')],
]);

/**
 * Add or replace a scheme. `loader` may be the factory itself (e.g. a Backend class with `fromUrl`)
 * or a function importing it.
 */
export function registerBackend(scheme: string, loader: BackendLoader | BackendFactory): void {
  loaders.set(scheme.toLowerCase(), typeof loader === 'function' && !('fromUrl' in loader) ? loader : builtin(loader as BackendFactory));
}

/** Known schemes, sorted. */
export function backendAliases(): string[] {
  return [...loaders.keys()].sort();
}

/** The scheme of a backend URL: `db+sqlite:///x.db` → `db+sqlite`; a bare alias is its own scheme. */
export function backendScheme(url: string): string {
  const at = url.indexOf('://');
  return (at === -1 ? url.replace(/:$/, '') : url.slice(0, at)).toLowerCase();
}

/**
 * Create the backend for `url` (Celery `result_backend`), importing its package on first use.
 * @throws UnknownBackendError for an unknown scheme (naming the closest alias);
 *         BackendNotInstalledError when the package is missing (naming the `pnpm add` line).
 */
export async function createBackend(url: string, options: BackendOptions = {}): Promise<Backend> {
  const scheme = backendScheme(url);
  const loader = loaders.get(scheme);
  if (!loader) {
    const known = backendAliases();
    const closest = closestName(scheme, known);
    throw new UnknownBackendError(
      `unknown result backend ${JSON.stringify(scheme)}${closest ? `: did you mean ${JSON.stringify(closest)}?` : ''} (known: ${known.join(', ')})`,
    );
  }
  const factory = await loader();
  return factory.fromUrl(url, { ...options, url });
}
