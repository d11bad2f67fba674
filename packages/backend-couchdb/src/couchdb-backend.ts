/**
 * CouchDB result backend (Celery `celery/backends/couchdb.py` `CouchBackend`), over CouchDB's HTTP
 * API with Node's fetch (no driver).
 *
 * URL: `couchdb://[user:password@][host][:port][/container]` (see url.ts: defaults localhost, 5984,
 * `default`; plain http; Basic auth when user and password are both given). Settings:
 * `result_backend_transport_options.global_keyprefix` (Celery ≥ 5.3).
 *
 * Stored as Celery stores it: one document per key, `{"_id": "celery-task-meta-<id>", "value":
 * "<the meta as the result serializer's text>"}` (`celery-taskset-meta-<id>` for groups); the
 * database is created on first use when missing. Writes follow Celery's `set`: PUT the new document;
 * on 409 conflict, GET it, replace `value`, PUT it back with its `_rev` (a second conflict fails).
 * Deletes read the current `_rev`, then DELETE with it (as pycouchdb, which reads it from a HEAD).
 * Beyond Celery: a missing document deletes quietly, several keys are read in one `_all_docs`
 * request, and `cleanup()` deletes task documents whose `date_done` is older than `result_expires`
 * (Celery stores no expiry and its cleanup does nothing); binary serializers (msgpack) are refused
 * up front, since a document holds text (Celery fails on the first store).
 */
import { KeyValueStoreBackend, type KeyValueStoreBackendOptions } from '@cq/backend';
import { CouchDBRequestError, CouchDBUrlError } from './errors.js';
import { parseCouchdbUrl, redactCouchdbUrl, type CouchDBUrl } from './url.js';

export interface CouchDBBackendOptions extends KeyValueStoreBackendOptions {
  /** `couchdb://[user:password@]host[:port]/container` (Celery `result_backend`). Default `couchdb://` (localhost:5984/default). */
  url?: string;
}

/** A document as this backend reads it. */
interface ValueDoc {
  _id: string;
  _rev?: string;
  value?: unknown;
}

/** Documents read per `_all_docs` page by `cleanup()`. */
const CLEANUP_PAGE = 500;

/**
 * CouchDB result backend, sharing documents with Python Celery's `CouchBackend` (see the module doc).
 *
 * ```ts
 * const backend = CouchDBBackend.fromUrl('couchdb://admin:secret@localhost:5984/results');
 * await backend.markAsDone(taskId, 42);   // doc celery-task-meta-<taskId>: { value: '{"status":"SUCCESS",...}' }
 * ```
 *
 * `url` is kept with the password masked. Errors: the constructor throws `CouchDBUrlError` for a
 * bad URL or a binary result serializer; CouchDB failures are `BackendStoreError` (writes) or
 * `BackendGetMetaError` (reads) with a {@link CouchDBRequestError} as `cause`.
 */
export class CouchDBBackend extends KeyValueStoreBackend {
  readonly couchdbUrl: Readonly<CouchDBUrl>;
  /** `http://host:port/<database>`, without credentials. */
  readonly databaseUrl: string;
  readonly #authorization: string | null;
  #database: Promise<void> | null = null;

  /** @throws CouchDBUrlError for a bad URL or a serializer that writes bytes (msgpack, pickle). */
  constructor(options: CouchDBBackendOptions = {}) {
    const url = options.url ?? 'couchdb://';
    const parsed = parseCouchdbUrl(url);
    super({ ...options, url: redactCouchdbUrl(url), keyPrefix: options.keyPrefix ?? globalKeyPrefix(options.settings) });
    if (this.contentEncoding === 'binary') {
      throw new CouchDBUrlError(`CouchDB documents hold text: result_serializer ${JSON.stringify(this.serializer)} writes bytes; use json or yaml`);
    }
    this.couchdbUrl = parsed;
    const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
    this.databaseUrl = `${parsed.scheme}://${host}:${parsed.port}/${encodeURIComponent(parsed.container)}`;
    this.#authorization = parsed.username && parsed.password
      ? `Basic ${Buffer.from(`${parsed.username}:${parsed.password}`, 'utf8').toString('base64')}`
      : null;
  }

  /** The registry's factory: `couchdb://…` (Celery `result_backend`). */
  static fromUrl(url: string, options: CouchDBBackendOptions = {}): CouchDBBackend {
    return new CouchDBBackend({ ...options, url });
  }

  /** False: documents do not expire, so beat runs `celery.backend_cleanup`, which calls {@link cleanup}. */
  override get supportsAutoexpire(): boolean {
    return false;
  }

  protected async get(key: string): Promise<Buffer | null> {
    const doc = await this.request<ValueDoc>('GET', docPath(key), undefined, [404]);
    return doc.status === 404 ? null : valueBytes(doc.body.value);
  }

  /** One `POST _all_docs?include_docs=true` for every key (Celery: one GET per key). */
  protected async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    const reply = await this.request<{ rows: { key: string; doc?: ValueDoc | null }[] }>('POST', '/_all_docs?include_docs=true', { keys });
    const byKey = new Map(reply.body.rows.map((row) => [row.key, row.doc]));
    return keys.map((key) => {
      const doc = byKey.get(key);
      return doc ? valueBytes(doc.value) : null;
    });
  }

  /** Celery `set`: save `{_id, value}`; on conflict read the document, set `value`, save it with its `_rev`. */
  protected async set(key: string, value: Buffer, _ttlSeconds: number | null): Promise<void> {
    const text = value.toString('utf8');
    const created = await this.request('PUT', docPath(key), { _id: key, value: text }, [409]);
    if (created.status !== 409) return;
    const current = await this.request<ValueDoc>('GET', docPath(key));
    await this.request('PUT', docPath(key), { ...current.body, value: text });
  }

  /**
   * Celery `delete` (pycouchdb `Database.delete`): read the current `_rev`, then DELETE with it. pycouchdb
   * reads the rev from a HEAD's ETag; here it comes from a GET's body, the same value on CouchDB, and
   * the only one on pouchdb-server, whose ETag is a hash of the body. Missing: nothing to do.
   */
  protected async delete(key: string): Promise<void> {
    const current = await this.request<ValueDoc>('GET', docPath(key), undefined, [404]);
    const rev = current.body._rev;
    if (current.status === 404 || !rev) return;
    await this.request('DELETE', `${docPath(key)}?rev=${encodeURIComponent(rev)}`, undefined, [404]);
  }

  /**
   * Deletes task documents whose `date_done` is more than `expires` seconds ago, a page of
   * `_all_docs` at a time. Documents without a `date_done` (states not ready, saved groups) are kept,
   * as are those changed since they were read (their `_rev` no longer matches).
   */
  protected override async _cleanup(): Promise<void> {
    if (this.expires === null) return;
    const cutoff = Date.now() - this.expires * 1000;
    const end = JSON.stringify(`${this.taskKeyPrefix}\ufff0`);
    let start = JSON.stringify(this.taskKeyPrefix);
    for (let skip = 0; ; skip = 1) {
      const query = `include_docs=true&limit=${CLEANUP_PAGE}&skip=${skip}&startkey=${encodeURIComponent(start)}&endkey=${encodeURIComponent(end)}`;
      const page = await this.request<{ rows: { key: string; doc?: ValueDoc | null }[] }>('GET', `/_all_docs?${query}`);
      const expired = page.body.rows.flatMap(({ doc }) => (doc && this.doneBefore(doc, cutoff) ? [{ _id: doc._id, _rev: doc._rev, _deleted: true }] : []));
      if (expired.length > 0) await this.request('POST', '/_bulk_docs', { docs: expired });
      if (page.body.rows.length < CLEANUP_PAGE) return;
      start = JSON.stringify(page.body.rows[page.body.rows.length - 1]!.key);
    }
  }

  /** Backends on one database wake each other's waiters in this process. */
  protected override wakeScope(): string {
    return `couchdb:${this.databaseUrl}`;
  }

  private doneBefore(doc: ValueDoc, cutoff: number): boolean {
    try {
      const meta = this.decode(valueBytes(doc.value)) as { date_done?: unknown } | null;
      return typeof meta?.date_done === 'string' && this.parseDate(meta.date_done).getTime() < cutoff;
    } catch {
      return false; // not a meta cq can read: not ours to delete
    }
  }

  /** Celery `_get_connection`: the database, created when HEAD says it is missing; retried after a failure. */
  private database(): Promise<void> {
    if (!this.#database) {
      this.#database = (async () => {
        const head = await this.send('HEAD', '', undefined, [404]);
        // 412 file_exists: another process created it in between.
        if (head.status === 404) await this.send('PUT', '', undefined, [412]);
      })();
      this.#database.catch(() => { this.#database = null; });
    }
    return this.#database;
  }

  /** A request under the database, which is created first when missing. */
  private async request<T = unknown>(method: string, path: string, body?: unknown, allowed: readonly number[] = []): Promise<Reply<T>> {
    await this.database();
    return this.send<T>(method, path, body, allowed);
  }

  /**
   * One HTTP request to `<databaseUrl><path>`. Resolves for 2xx and the `allowed` statuses.
   * @throws CouchDBRequestError when no reply came or CouchDB answered with another status.
   */
  private async send<T>(method: string, path: string, body: unknown, allowed: readonly number[]): Promise<Reply<T>> {
    const where = `${method} ${this.databaseUrl}${path.replace(/\?.*$/, '')}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.#authorization) headers['Authorization'] = this.#authorization;
    let response: Response;
    try {
      response = await fetch(`${this.databaseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CouchDBRequestError(`${where}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, null, null, null, { cause: err });
    }
    const text = method === 'HEAD' ? '' : await response.text();
    const json = parseJson(text) as T & { error?: string; reason?: string };
    if (!response.ok && !allowed.includes(response.status)) {
      const error = json.error ?? null;
      const reason = json.reason ?? null;
      throw new CouchDBRequestError(`${where}: ${response.status} ${error ?? response.statusText}${reason ? ` (${reason})` : ''}`, response.status, error, reason);
    }
    return { status: response.status, body: json };
  }
}

interface Reply<T> {
  status: number;
  body: T;
}

/** A reply body as JSON; `{}` for none or for text that is not JSON (an error page of a proxy). */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

/** `/<id>` of a document, the id percent-encoded (a `/` in it included). */
function docPath(key: string): string {
  return `/${encodeURIComponent(key)}`;
}

/** The bytes of a document's `value`: the text Celery stored (anything else as its JSON). */
function valueBytes(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value ?? null), 'utf8');
}

/**
 * Celery ≥ 5.3 `_add_global_keyprefix`: `result_backend_transport_options.global_keyprefix` goes
 * before every key, followed by `_` unless it ends in one of `:_-.`. `''` when not set.
 */
function globalKeyPrefix(settings: Readonly<Record<string, unknown>> | undefined): string {
  const options = settings?.['result_backend_transport_options'] as { global_keyprefix?: unknown } | undefined;
  const prefix = typeof options?.global_keyprefix === 'string' ? options.global_keyprefix : '';
  return !prefix || ':_-.'.includes(prefix.slice(-1)) ? prefix : `${prefix}_`;
}
