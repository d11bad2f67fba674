/**
 * The plugin a result backend package exports for the app (`redisBackend()` of @cq/backend-redis):
 * it registers the package's backend under its URL schemes in the app's {@link BackendRegistry}.
 * Typed against {@link BackendHost} so backend packages need not depend on @cq/app; the Celery app
 * is a BackendHost, so these plugins go straight into `new Celery(name, conf, { plugins })`.
 */
import type { BackendFactory, BackendLoader, BackendRegistry } from './registry.js';

/** What a backend plugin installs into: anything with a backend registry (the Celery app). */
export interface BackendHost {
  readonly backends: BackendRegistry;
}

/** A plugin that registers one result backend under its schemes. */
export interface BackendPlugin {
  /** The package name, e.g. `@cq/backend-redis`; a plugin given twice is installed once. */
  readonly name: string;
  /** The URL schemes it serves, e.g. `['redis', 'rediss']`. */
  readonly schemes: readonly string[];
  install(host: BackendHost): void;
}

/** Builds a backend package's plugin: `factory` (or a loader importing it) under `schemes`. */
export function backendPlugin(name: string, schemes: readonly string[], factory: BackendFactory | BackendLoader): BackendPlugin {
  return { name, schemes, install: (host) => { host.backends.register(schemes, factory); } };
}
