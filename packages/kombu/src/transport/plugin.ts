/**
 * The plugin a transport package exports for the app (`redisTransport()` of @cq/transport-redis):
 * it registers the package's transport under its URL schemes in the app's {@link TransportRegistry}.
 * Typed against {@link TransportHost} so transport packages need not depend on @cq/app; the Celery
 * app is a TransportHost, so these plugins go straight into `new Celery(name, conf, { plugins })`.
 */
import type { TransportLoader, TransportRegistry } from './registry.js';
import type { TransportDefinition } from './types.js';

/** What a transport plugin installs into: anything with a transport registry (the Celery app). */
export interface TransportHost {
  readonly transports: TransportRegistry;
}

/** A plugin that registers one transport under its schemes. */
export interface TransportPlugin {
  /** The package name, e.g. `@cq/transport-redis`; a plugin given twice is installed once. */
  readonly name: string;
  /** The URL schemes it serves, e.g. `['redis', 'rediss']`. */
  readonly schemes: readonly string[];
  install(host: TransportHost): void;
}

/**
 * Builds a transport package's plugin: `definition` (or a loader importing it) under `schemes`.
 * ```ts
 * export const redisTransport = (): TransportPlugin => transportPlugin('@cq/transport-redis', ['redis', 'rediss'], transport);
 * ```
 */
export function transportPlugin(name: string, schemes: readonly string[], definition: TransportDefinition | TransportLoader): TransportPlugin {
  return { name, schemes, install: (host) => { host.transports.register(schemes, definition); } };
}
