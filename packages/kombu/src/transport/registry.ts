/**
 * Transport registry: URL schemes (kombu's short aliases, `TRANSPORT_ALIASES`) mapped to transport
 * definitions. It is the one way a broker URL finds its transport: the app owns one
 * (`app.transports`), filled by the plugins it was given (`redisTransport()` of @cq/transport-redis,
 * or the `@cq/celery` preset); a {@link Connection} takes one through its options. Nothing is
 * registered by importing a module, and nothing is looked up on disk: a scheme whose package was not
 * passed to the app fails with the install line and the plugin to pass.
 *
 * ```ts
 * const transports = new TransportRegistry().register(['redis', 'rediss'], redisDefinition);
 * const definition = await transports.resolve('redis');
 * ```
 */
import { TransportNotFoundError } from '../errors.js';
import { closestName } from '../utils/closest.js';
import { memoryTransport } from './memory.js';
import type { TransportDefinition } from './types.js';

/** Loads a transport definition, usually a dynamic `import()` of its package (so its driver loads on first use). */
export type TransportLoader = () => Promise<TransportDefinition>;

/**
 * Schemes of the transport packages that exist, with the plugin each exports: only used to name the
 * fix when a URL's scheme was not registered. Keep it to packages in this repository.
 */
const KNOWN_PACKAGES: Readonly<Record<string, { pkg: string; plugin: string; preset?: false }>> = {
  sqlite: { pkg: '@cq/transport-sqlite', plugin: 'sqliteTransport' },
  'sqla+sqlite': { pkg: '@cq/transport-sqlite', plugin: 'sqliteTransport' },
  redis: { pkg: '@cq/transport-redis', plugin: 'redisTransport' },
  rediss: { pkg: '@cq/transport-redis', plugin: 'redisTransport' },
  amqp: { pkg: '@cq/transport-amqp', plugin: 'amqpTransport' },
  amqps: { pkg: '@cq/transport-amqp', plugin: 'amqpTransport' },
  pyamqp: { pkg: '@cq/transport-amqp', plugin: 'amqpTransport' },
  // Not in @cq/celery's preset (`pg` is optional): `preset: false` keeps the hint from sending users there.
  postgresql: { pkg: '@cq/transport-postgres', plugin: 'postgresTransport', preset: false },
  postgres: { pkg: '@cq/transport-postgres', plugin: 'postgresTransport', preset: false },
  'sqla+postgresql': { pkg: '@cq/transport-postgres', plugin: 'postgresTransport', preset: false },
  mongodb: { pkg: '@cq/transport-mongodb', plugin: 'mongodbTransport', preset: false },
  'mongodb+srv': { pkg: '@cq/transport-mongodb', plugin: 'mongodbTransport', preset: false },
  sqs: { pkg: '@cq/transport-sqs', plugin: 'sqsTransport', preset: false },
};

/**
 * Schemes → transport definitions, loaded lazily and once. `memory` is always there (the in-process
 * transport of @cq/kombu). Register the same loader under every alias it serves.
 */
export class TransportRegistry {
  private readonly loaders = new Map<string, TransportLoader>([['memory', async () => memoryTransport]]);
  private readonly loaded = new Map<string, Promise<TransportDefinition>>();

  /**
   * Adds or replaces aliases (case-insensitive). `loader` is the definition itself or a function
   * importing it. Returns the registry, for chaining.
   */
  register(aliases: string | readonly string[], loader: TransportLoader | TransportDefinition): this {
    const load: TransportLoader = typeof loader === 'function' ? loader : async () => loader;
    for (const alias of typeof aliases === 'string' ? [aliases] : aliases) {
      this.loaders.set(alias.toLowerCase(), load);
      this.loaded.delete(alias.toLowerCase());
    }
    return this;
  }

  /** True when `alias` has a transport here. */
  has(alias: string): boolean {
    return this.loaders.has(alias.toLowerCase());
  }

  /** Registered aliases, sorted. */
  aliases(): string[] {
    return [...this.loaders.keys()].sort();
  }

  /**
   * The definition for `alias`, loading it on first use.
   * @throws TransportNotFoundError when the alias is not registered: for a cq transport package the
   *   message names the `pnpm add` line and the plugin to pass to the app; otherwise the closest alias.
   */
  async resolve(alias: string): Promise<TransportDefinition> {
    const key = alias.toLowerCase();
    const loader = this.loaders.get(key);
    if (!loader) throw notFound(key, this.aliases());
    let ready = this.loaded.get(key);
    if (!ready) {
      ready = loader();
      this.loaded.set(key, ready);
      ready.catch(() => this.loaded.delete(key));
    }
    return ready;
  }
}

function notFound(alias: string, registered: string[]): TransportNotFoundError {
  const known = KNOWN_PACKAGES[alias];
  if (known) {
    return new TransportNotFoundError(
      `no transport for ${alias}:// in this app: install ${known.pkg} (\`pnpm add ${known.pkg}\`) and pass ` +
      `\`${known.plugin}()\` from it in the app's plugins (new Celery(name, conf, { plugins: [${known.plugin}()] }))` +
      (known.preset === false ? '' : ', or build the app with @cq/celery, whose preset includes it'),
    );
  }
  const candidates = [...new Set([...registered, ...Object.keys(KNOWN_PACKAGES)])].sort();
  const closest = closestName(alias, candidates);
  return new TransportNotFoundError(
    `unknown transport ${JSON.stringify(alias)}${closest ? `: did you mean ${JSON.stringify(closest)}?` : ''} (known: ${candidates.join(', ')})`,
  );
}
