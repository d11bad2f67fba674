/**
 * `couchdb://[user:password@][host][:port][/container]` as Celery's `CouchBackend` reads it (kombu
 * `_parse_url`): host `localhost`, port 5984 and container (database) `default` when absent; the
 * container is the path without its slashes; user and password are percent-decoded. Celery always
 * talks plain `http` (its `scheme` is never taken from the URL) and sends credentials only when both
 * user and password are given.
 */
import { CouchDBUrlError } from './errors.js';

export interface CouchDBUrl {
  /** Always `'http'` (Celery `CouchBackend.scheme`). */
  scheme: 'http';
  host: string;
  port: number;
  /** The database (Celery `container`). */
  container: string;
  username: string | null;
  password: string | null;
}

/** Celery's `CouchBackend` class defaults. */
export const COUCHDB_DEFAULTS = Object.freeze({ scheme: 'http', host: 'localhost', port: 5984, container: 'default' } as const);

const FORM = 'write couchdb://[user:password@]host[:port]/database, e.g. couchdb://admin:secret@localhost:5984/results';

/**
 * Splits a `couchdb://` URL (see the module doc). Pure.
 * @throws CouchDBUrlError for another scheme or a URL that does not parse (the password masked).
 */
export function parseCouchdbUrl(url: string): CouchDBUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Node's error keeps the whole input (password included): not kept as the cause.
    throw new CouchDBUrlError(`${JSON.stringify(redactCouchdbUrl(url))} is not a CouchDB result backend URL: ${FORM}`);
  }
  if (parsed.protocol.toLowerCase() !== 'couchdb:') {
    throw new CouchDBUrlError(`${JSON.stringify(redactCouchdbUrl(url))} is not a CouchDB result backend URL: ${FORM}`);
  }
  const decode = (text: string): string | null => (text ? decodeURIComponent(text) : null);
  const container = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
  return {
    scheme: COUCHDB_DEFAULTS.scheme,
    host: parsed.hostname.replace(/^\[|\]$/g, '') || COUCHDB_DEFAULTS.host,
    port: parsed.port ? Number(parsed.port) : COUCHDB_DEFAULTS.port,
    container: container || COUCHDB_DEFAULTS.container,
    username: decode(parsed.username),
    password: decode(parsed.password),
  };
}

/** The URL with its password replaced by `**`, for messages and logs. Pure. */
export function redactCouchdbUrl(url: string): string {
  return url.replace(/^([^:/?#]+:\/\/[^:/@]*:)[^@/]*@/, '$1**@');
}
