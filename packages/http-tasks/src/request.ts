/**
 * The HTTP request of one task call, built as Celery 3's `HttpDispatch.dispatch` built it: the task's
 * keyword arguments go into the URL's query for `GET` and `HEAD` (replacing parameters of the same
 * name, as its `MutableURL.query.update`), and into the body for other methods: JSON by default
 * (`application/json`), or, with `bodyEncoding: 'form'`, `application/x-www-form-urlencoded` as
 * Celery 3 sent it. Query and form values: strings as they are, anything else as JSON (`1`, `true`,
 * `null`, `{"a":1}`). Credentials in the URL become a Basic `authorization` header (fetch refuses
 * URLs that carry them).
 */
import { HttpArgumentError } from './errors.js';
import { redactUrl } from './redact.js';

/** Methods an HTTP task may use. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** Methods whose arguments go in the query (Celery 3 `GET_METHODS`). */
const QUERY_METHODS = new Set<string>(['GET', 'HEAD']);

export interface BuiltRequest {
  url: URL;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | null;
}

export interface BuildOptions {
  /** `json` (default) or `form` (Celery 3). */
  bodyEncoding: 'json' | 'form';
  /** Headers sent with every request (registration options), before the URL's credentials. */
  headers: Record<string, string>;
  userAgent: string;
  /** Refuses URLs: false throws HttpArgumentError. */
  allowUrl: ((url: URL) => boolean) | null;
}

/** A query or form value as text: strings as they are, the rest as JSON. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? 'null';
}

/**
 * The request for `url`, `method` and the task's keyword arguments `params`.
 * @throws HttpArgumentError for a URL that does not parse or is not http(s), one `allowUrl` refuses,
 *   or a method not in {@link HTTP_METHODS}.
 */
export function buildRequest(url: unknown, method: unknown, params: Record<string, unknown>, options: BuildOptions): BuiltRequest {
  if (typeof url !== 'string' || url === '') throw new HttpArgumentError('an HTTP task needs a url');
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    throw new HttpArgumentError(`not a URL: ${redactUrl(url)}`, { cause: error });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new HttpArgumentError(`only http: and https: URLs can be called, not ${target.protocol}`);
  if (options.allowUrl && !options.allowUrl(target)) throw new HttpArgumentError(`the URL ${redactUrl(target)} is not allowed (allowUrl)`);
  const verb = (typeof method === 'string' && method ? method : 'GET').toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(verb)) throw new HttpArgumentError(`unsupported HTTP method ${JSON.stringify(method)}: one of ${HTTP_METHODS.join(', ')}`);
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: 'application/json', ...options.headers };
  if (target.username || target.password) {
    const user = decodeURIComponent(target.username);
    const password = decodeURIComponent(target.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  let body: string | null = null;
  if (QUERY_METHODS.has(verb)) {
    for (const [key, value] of Object.entries(params)) target.searchParams.set(key, text(value));
  } else if (options.bodyEncoding === 'form') {
    body = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, text(v)])).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else {
    body = JSON.stringify(params);
    headers['content-type'] = 'application/json';
  }
  return { url: target, method: verb as HttpMethod, headers, body };
}
