/**
 * Where results go: the `result_backend` URL and Celery's `mongodb_backend_settings`, combined as
 * Celery's `MongoBackend.__init__` and `_get_connection` combine them. Pure.
 *
 * - URL: `mongodb://[user:password@]host[:port][,host2…]/[database][?options]` or `mongodb+srv://…`;
 *   a scheme not starting with `mongodb` gets `mongodb+` in front (`srv://…` → `mongodb+srv://…`) and
 *   a bare `mongodb://` means `mongodb://localhost` (Celery `_ensure_mongodb_uri_compliance`). The
 *   path names the database (default `celery`); the query holds driver options.
 * - `mongodb_backend_settings` (a dict): `host` and `port` (either replaces the URL's hosts; default
 *   `localhost`, 27017; a `host` starting `mongodb://` is a whole URI), `mongo_host` (a list of
 *   `host:port`, or a URI), `user`, `password`, `database`, `taskmeta_collection` (default
 *   `celery_taskmeta`), `groupmeta_collection` (default `celery_groupmeta`), `options` (driver
 *   options) and any other key, which is a driver option too. `maxPoolSize` defaults to 10 (Celery's
 *   `max_pool_size`).
 *
 * Driver options keep their names (`replicaSet`, `authSource`, `tls`, `serverSelectionTimeoutMS`, …):
 * pymongo and the Node driver share the connection-string option names.
 */
import type { MongoClientOptions } from 'mongodb';
import { redact } from '@cq/backend';
import { MongoBackendSettingsError } from './errors.js';

/** Celery `mongodb_backend_settings`. */
export interface MongoBackendSettings {
  host?: string;
  port?: number;
  mongo_host?: string | string[];
  user?: string;
  password?: string;
  database?: string;
  taskmeta_collection?: string;
  groupmeta_collection?: string;
  options?: Record<string, unknown>;
  [option: string]: unknown;
}

/** Everything the backend reads from its URL and settings. */
export interface ResolvedMongoBackend {
  /** The connection string handed to the driver (it may hold a password: never print it). */
  connectionString: string;
  clientOptions: MongoClientOptions;
  database: string;
  taskmetaCollection: string;
  groupmetaCollection: string;
  /** `hosts/database`, for messages and in-process wake-ups; never a password. */
  where: string;
}

/** The URL schemes this package serves. */
export const MONGODB_BACKEND_SCHEMES = ['mongodb', 'mongodb+srv'] as const;

const SETTING_KEYS = new Set(['host', 'port', 'mongo_host', 'user', 'password', 'database', 'taskmeta_collection', 'groupmeta_collection', 'options']);

/**
 * Combines `url` (Celery `result_backend`; none: the settings alone, else `localhost:27017`) and
 * `settings` (Celery `mongodb_backend_settings`). As in Celery, the driver is given the host list
 * and the URL's options, with the credentials apart (so they authenticate against `admin` unless
 * `authSource` says otherwise, as with pymongo there).
 * @throws MongoBackendSettingsError when `settings` is not a dict, the URL is not a MongoDB one, or a
 *   database or collection name is one MongoDB refuses.
 */
export function resolveBackendSettings(url: string | undefined, settings: unknown): ResolvedMongoBackend {
  if (settings !== undefined && settings !== null && (typeof settings !== 'object' || Array.isArray(settings))) {
    throw new MongoBackendSettingsError('MongoDB backend settings should be grouped in a dict (mongodb_backend_settings = { database: ..., taskmeta_collection: ... })');
  }
  const config: MongoBackendSettings = { ...(settings as MongoBackendSettings | null | undefined) };
  const parsed = url ? splitMongoUrl(compliant(url)) : null;
  let scheme = parsed?.scheme ?? 'mongodb';
  let hosts = parsed?.hosts ?? null;
  let uri: string | null = null; // a whole URI given as `host` or `mongo_host`
  if ('host' in config || 'port' in config) {
    const host = String(config.host ?? 'localhost');
    if (host.startsWith('mongodb://')) uri = host;
    else [scheme, hosts] = ['mongodb', `${host}:${Number(config.port ?? 27017)}`];
  }
  if (config.mongo_host !== undefined && config.mongo_host !== null) {
    const given = config.mongo_host;
    if (typeof given === 'string' && /^mongodb(\+srv)?:\/\//.test(given)) uri = given;
    else [uri, scheme, hosts] = [null, 'mongodb', Array.isArray(given) ? given.join(',') : String(given)];
  }
  hosts ??= 'localhost:27017';
  const user = config.user ?? parsed?.username ?? null;
  const password = config.password ?? parsed?.password ?? null;
  const database = String(config.database ?? parsed?.database ?? 'celery');
  const clientOptions: Record<string, unknown> = { maxPoolSize: 10, ...config.options };
  for (const [key, value] of Object.entries(config)) if (!SETTING_KEYS.has(key)) clientOptions[key] = value;
  if (user !== null) clientOptions['auth'] = { username: String(user), ...(password !== null ? { password: String(password) } : {}) };
  const query = parsed?.query ? `?${parsed.query}` : '';
  return {
    connectionString: uri ?? `${scheme}://${hosts}/${query}`,
    clientOptions,
    database: checkedName(database, 'database'),
    taskmetaCollection: checkedName(String(config.taskmeta_collection ?? 'celery_taskmeta'), 'taskmeta_collection'),
    groupmetaCollection: checkedName(String(config.groupmeta_collection ?? 'celery_groupmeta'), 'groupmeta_collection'),
    where: `${uri ? redact(uri) : hosts}/${database}`,
  };
}

/** Celery `_ensure_mongodb_uri_compliance`. */
function compliant(url: string): string {
  const scheme = url.slice(0, Math.max(0, url.indexOf('://'))).toLowerCase();
  let out = scheme.startsWith('mongodb') ? url : `mongodb+${url}`;
  if (out === 'mongodb://') out += 'localhost';
  if (!/^mongodb(\+srv)?:\/\//i.test(out)) {
    throw new MongoBackendSettingsError(`${JSON.stringify(redact(url))} is not a MongoDB result backend URL: use mongodb://host:27017/database or mongodb+srv://cluster.example.net/database`);
  }
  return out;
}

/** The parts of a MongoDB URL (pymongo `parse_uri`'s nodelist, username, password, database, options). */
function splitMongoUrl(url: string): { scheme: string; hosts: string; database: string | null; username: string | null; password: string | null; query: string } {
  const scheme = url.slice(0, url.indexOf('://')).toLowerCase();
  let rest = url.slice(url.indexOf('://') + 3);
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  const at = rest.lastIndexOf('@');
  const slash = rest.indexOf('/', at + 1);
  const userinfo = at >= 0 ? rest.slice(0, at) : '';
  const hosts = (slash >= 0 ? rest.slice(at + 1, slash) : rest.slice(at + 1)) || 'localhost';
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  const colon = userinfo.indexOf(':');
  return {
    scheme,
    hosts: scheme === 'mongodb' && !hosts.includes(',') && !/:\d+$/.test(hosts) ? `${hosts}:27017` : hosts,
    database: path ? decode(path) : null,
    username: userinfo ? decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo) : null,
    password: userinfo && colon >= 0 ? decode(userinfo.slice(colon + 1)) : null,
    query,
  };
}

/** A database or collection name MongoDB accepts. */
function checkedName(name: string, what: string): string {
  const bad = what === 'database' ? /[/\\. "$\0]/ : /[$\0]/;
  if (name === '' || bad.test(name) || name.startsWith('system.')) {
    throw new MongoBackendSettingsError(`MongoDB ${what} name ${JSON.stringify(name)} is not one MongoDB accepts (mongodb_backend_settings or the URL's path)`);
  }
  return name;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
