/**
 * Backend registry: result backend URL schemes (Celery `celery/app/backends.py` `BACKEND_ALIASES`)
 * mapped to backend factories. It is the one way a `result_backend` URL finds its backend: the app
 * owns one (`app.backends`), filled by the plugins it was given (`redisBackend()` of
 * @cq/backend-redis, or the `@cq/celery` preset). Nothing is registered by importing a module and
 * nothing is looked up on disk: a scheme whose package was not passed to the app fails with the
 * install line and the plugin to pass.
 *
 * Convention for backend packages: the Backend subclass has a static `fromUrl(url, options)`; the
 * registry passes the whole URL, scheme prefix included (`db+sqlite://…`).
 */
import type { Backend, BackendOptions } from './backend.js';
import { BackendNotInstalledError, UnknownBackendError } from './errors.js';
import { MemoryBackend } from './memory.js';
import { closestName } from '@cq/kombu';

/** What a backend package registers: something with `fromUrl` (usually the Backend class). */
export interface BackendFactory {
  fromUrl(url: string, options?: BackendOptions): Backend | Promise<Backend>;
}

/** Loads a backend's factory, usually a dynamic `import()` of its package (its driver loads on first use). */
export type BackendLoader = () => Promise<BackendFactory>;

/** Schemes of the backend packages that exist, with the plugin each exports: only used to name the fix. */
const KNOWN_PACKAGES: Readonly<Record<string, { pkg: string; plugin: string }>> = {
  sqlite: { pkg: '@cq/backend-sqlite', plugin: 'sqliteBackend' },
  'db+sqlite': { pkg: '@cq/backend-sqlite', plugin: 'sqliteBackend' },
  'db+postgresql': { pkg: '@cq/backend-postgres', plugin: 'postgresBackend' },
  'db+postgres': { pkg: '@cq/backend-postgres', plugin: 'postgresBackend' },
  'db+mysql': { pkg: '@cq/backend-mysql', plugin: 'mysqlBackend' },
  'db+mariadb': { pkg: '@cq/backend-mysql', plugin: 'mysqlBackend' },
  redis: { pkg: '@cq/backend-redis', plugin: 'redisBackend' },
  rediss: { pkg: '@cq/backend-redis', plugin: 'redisBackend' },
  rpc: { pkg: '@cq/backend-rpc', plugin: 'rpcBackend' },
  'cache+memcached': { pkg: '@cq/backend-memcached', plugin: 'memcachedBackend' },
  'cache+memcache': { pkg: '@cq/backend-memcached', plugin: 'memcachedBackend' },
  'cache+pylibmc': { pkg: '@cq/backend-memcached', plugin: 'memcachedBackend' },
  cache: { pkg: '@cq/backend-memcached', plugin: 'memcachedBackend' },
  file: { pkg: '@cq/backend-filesystem', plugin: 'filesystemBackend' },
  azureblockblob: { pkg: '@cq/backend-azureblockblob', plugin: 'azureBlockBlobBackend' },
  couchdb: { pkg: '@cq/backend-couchdb', plugin: 'couchdbBackend' },
  s3: { pkg: '@cq/backend-s3', plugin: 's3Backend' },
  dynamodb: { pkg: '@cq/backend-dynamodb', plugin: 'dynamodbBackend' },
  mongodb: { pkg: '@cq/backend-mongodb', plugin: 'mongodbBackend' },
  'mongodb+srv': { pkg: '@cq/backend-mongodb', plugin: 'mongodbBackend' },
};

/** The packages @cq/celery's preset (`fullStack()`) installs; the others must be added and passed by the user. */
const IN_PRESET = new Set(['@cq/backend-sqlite', '@cq/backend-redis', '@cq/backend-rpc']);

/**
 * A database scheme without SQLAlchemy's Python driver part: `db+mysql+pymysql` → `db+mysql` (Celery
 * hands `mysql+pymysql://…` to SQLAlchemy; cq's packages use their own Node driver). Others unchanged.
 */
function withoutDriver(scheme: string): string {
  return /^db\+[^+]+\+/.test(scheme) ? scheme.slice(0, scheme.indexOf('+', 3)) : scheme;
}

/** The scheme of a backend URL: `db+sqlite:///x.db` → `db+sqlite`; a bare alias is its own scheme. */
export function backendScheme(url: string): string {
  const at = url.indexOf('://');
  return (at === -1 ? url.replace(/:$/, '') : url.slice(0, at)).toLowerCase();
}

/**
 * Schemes → backend factories, loaded lazily and once. `memory` and `cache+memory` (the in-process
 * {@link MemoryBackend}) are always there.
 */
export class BackendRegistry {
  private readonly loaders = new Map<string, BackendLoader>();
  private readonly loaded = new Map<string, Promise<BackendFactory>>();

  constructor() {
    this.register(['memory', 'cache+memory'], MemoryBackend);
  }

  /**
   * Adds or replaces schemes (case-insensitive). `loader` is the factory itself (a Backend class
   * with `fromUrl`) or a function importing it. Returns the registry, for chaining.
   */
  register(schemes: string | readonly string[], loader: BackendLoader | BackendFactory): this {
    const load: BackendLoader = typeof loader === 'function' && !('fromUrl' in loader) ? loader : async () => loader as BackendFactory;
    for (const scheme of typeof schemes === 'string' ? [schemes] : schemes) {
      this.loaders.set(scheme.toLowerCase(), load);
      this.loaded.delete(scheme.toLowerCase());
    }
    return this;
  }

  /** True when `scheme` has a backend here (`db+mysql+pymysql` counts as `db+mysql`). */
  has(scheme: string): boolean {
    return this.loaders.has(scheme.toLowerCase()) || this.loaders.has(withoutDriver(scheme.toLowerCase()));
  }

  /** Registered schemes, sorted. */
  aliases(): string[] {
    return [...this.loaders.keys()].sort();
  }

  /**
   * Creates the backend for `url` (Celery `result_backend`), loading its factory on first use.
   * @throws BackendNotInstalledError for the scheme of a cq backend package not registered here (the
   *   message names the `pnpm add` line and the plugin); UnknownBackendError otherwise (naming the closest).
   */
  async create(url: string, options: BackendOptions = {}): Promise<Backend> {
    const exact = backendScheme(url);
    const scheme = this.loaders.has(exact) ? exact : withoutDriver(exact);
    const loader = this.loaders.get(scheme);
    if (!loader) throw this.notFound(scheme);
    let ready = this.loaded.get(scheme);
    if (!ready) {
      ready = loader();
      this.loaded.set(scheme, ready);
      ready.catch(() => this.loaded.delete(scheme));
    }
    return (await ready).fromUrl(url, { ...options, url });
  }

  private notFound(scheme: string): Error {
    const known = KNOWN_PACKAGES[scheme];
    if (known) {
      return new BackendNotInstalledError(known.pkg,
        `no result backend for ${scheme}:// in this app: install ${known.pkg} (\`pnpm add ${known.pkg}\`) and pass ` +
        `\`${known.plugin}()\` from it in the app's plugins (new Celery(name, conf, { plugins: [${known.plugin}()] }))` +
        (IN_PRESET.has(known.pkg) ? ', or build the app with @cq/celery, whose preset includes it' : ''));
    }
    const candidates = [...new Set([...this.aliases(), ...Object.keys(KNOWN_PACKAGES)])].sort();
    const closest = closestName(scheme, candidates);
    return new UnknownBackendError(
      `unknown result backend ${JSON.stringify(scheme)}${closest ? `: did you mean ${JSON.stringify(closest)}?` : ''} (known: ${candidates.join(', ')})`,
    );
  }
}
