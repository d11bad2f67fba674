/**
 * HTTP tasks (the seeds' webhooks; Celery 3's `celery.task.http`, removed in Celery 4): a task
 * that calls a URL with its keyword arguments and returns the JSON answer.
 *
 * ```ts
 * import { registerHttpTasks } from '@cq/http-tasks';
 *
 * const http = registerHttpTasks(app, { timeout: 10, headers: { authorization: `Bearer ${token}` } });
 * await http.url('https://shop.example.com/hooks/paid').postAsync({ order: 42 });   // Celery 3's URL(...).post_async(order=42)
 * await http.task.applyAsync(['https://api.example.com/stock', 'GET'], { kwargs: { sku: 'A1' } });
 * ```
 *
 * The task is Celery 3's `HttpDispatchTask`, by its name `celery.task.http.HttpDispatchTask` unless
 * `name` says otherwise, with its signature `(url=None, method='GET', **kwargs)`: a Python client
 * sends `send_task('celery.task.http.HttpDispatchTask', args=[url, 'POST'], kwargs={...})`. The
 * keyword arguments go into the query (GET, HEAD) or the body (JSON, or a form as Celery 3 sent it);
 * see request.ts. The answer is read as response.ts says (Celery 3's `{"status": "success",
 * "retval": ...}` envelope unwrapped, plain JSON returned).
 *
 * Retries and limits are the app's: the task options given here (`autoretryFor`, `retryBackoff`,
 * `maxRetries`, `defaultRetryDelay`, `timeLimit`, `softTimeLimit`, `rateLimit`, `queue`, ...) are
 * those of `app.task()`. By default a call that got no answer, timed out or got a 5xx is retried
 * (`autoretryFor: [HttpRequestError, HttpTimeoutError, HttpServerError]`) with exponential backoff
 * (`retryBackoff: true`: about 1, 2, 4 s with jitter) at most 3 times (`maxRetries`, Celery's default).
 *
 * Register it in the worker's app module too: the worker runs only tasks it knows.
 */
import type { ApplyOptions, AsyncResult, Celery, Task, TaskContext, TaskOptions } from '@cq/app';
import { dispatch } from './dispatch.js';
import { HttpConfigError, HttpRequestError, HttpServerError, HttpTimeoutError } from './errors.js';
import { redactUrl } from './redact.js';
import { buildRequest, HTTP_METHODS, type HttpMethod } from './request.js';
import type { ResponseMode } from './response.js';

/** Celery 3's task name for `celery.task.http.HttpDispatchTask`. */
export const HTTP_DISPATCH_TASK = 'celery.task.http.HttpDispatchTask';
const VERSION = '0.1.0';

/** Task options that make sense for an HTTP task (all of `app.task()`'s but how it is called). */
export type HttpTaskTaskOptions = Omit<TaskOptions, 'bind' | 'params' | 'acceptsKwargs' | 'base'>;

export interface HttpTaskOptions extends HttpTaskTaskOptions {
  /** The task name. Default `celery.task.http.HttpDispatchTask` (Celery 3). */
  name?: string;
  /** URL used when a call gives none (Celery 3 `HttpDispatchTask.url`). Default none: the url is required. */
  url?: string;
  /** Method used when a call gives none. Default `GET` (Celery 3). */
  method?: HttpMethod;
  /** Seconds for the whole answer, headers and body (Celery 3 `HttpDispatch.timeout`). Default 5. */
  timeout?: number;
  /** How the JSON answer is read: `auto` (default), `envelope` (Celery 3 only) or `json` (see response.ts). */
  response?: ResponseMode;
  /** Body of POST/PUT/PATCH/DELETE calls: `json` (default) or `form` (Celery 3's urlencoded form). */
  bodyEncoding?: 'json' | 'form';
  /** Headers sent with every call, e.g. `authorization`; they stay in the worker (never in a message) and are never logged. */
  headers?: Record<string, string>;
  /** `user-agent`. Default `cq-http-tasks/<version>` (Celery 3 sent `celery/<version>`). */
  userAgent?: string;
  /** Refuses a URL before any request (return false): e.g. allow only your own hosts. Default: every http(s) URL. */
  allowUrl?: (url: URL) => boolean;
  /** Follow 3xx redirects (the `headers` go along). Default false: a 3xx fails with HttpClientError. */
  followRedirects?: boolean;
  /** Largest answer body read, in bytes. Default 10 MiB. */
  maxResponseBytes?: number;
}

/** The HTTP task: `(url?, method?)` plus keyword arguments, resolving to the answer's JSON. */
export type HttpDispatchTask = Task<[url?: string | null, method?: HttpMethod | Lowercase<HttpMethod> | null], unknown>;

/** Celery 3's `URL`: a URL to call asynchronously through the HTTP task. */
export class HttpUrl {
  constructor(readonly task: HttpDispatchTask, readonly href: string) {}

  /** Sends the task for `GET href?params` (Celery 3 `URL.get_async(**kwargs)`). */
  getAsync(params: Record<string, unknown> = {}, options: Omit<ApplyOptions, 'kwargs'> = {}): Promise<AsyncResult<unknown>> {
    return this.task.applyAsync([this.href, 'GET'], { ...options, kwargs: params });
  }

  /** Sends the task for `POST href` with `params` as the body (Celery 3 `URL.post_async(**kwargs)`). */
  postAsync(params: Record<string, unknown> = {}, options: Omit<ApplyOptions, 'kwargs'> = {}): Promise<AsyncResult<unknown>> {
    return this.task.applyAsync([this.href, 'POST'], { ...options, kwargs: params });
  }

  /** The URL with credentials and query values masked. */
  toString(): string {
    return redactUrl(this.href);
  }
}

/** What {@link registerHttpTasks} gives back. */
export interface HttpTasks {
  readonly task: HttpDispatchTask;
  /** Celery 3's `URL(href)`, bound to this task. */
  url(href: string): HttpUrl;
}

/** The retry defaults: transient failures, backoff, Celery's 3 retries. */
export const HTTP_TASK_DEFAULTS = Object.freeze({
  autoretryFor: [HttpRequestError, HttpTimeoutError, HttpServerError],
  retryBackoff: true,
  maxRetries: 3,
}) satisfies Partial<TaskOptions>;

/**
 * Registers the HTTP task in `app` and returns it with Celery 3's `URL` helper.
 * @throws HttpConfigError for a name already registered, a bad `timeout`, `maxResponseBytes`,
 *   `response`, `bodyEncoding` or default `url`/`method`.
 */
export function registerHttpTasks(app: Celery, options: HttpTaskOptions = {}): HttpTasks {
  const {
    name = HTTP_DISPATCH_TASK, url: defaultUrl, method: defaultMethod = 'GET', timeout = 5, response = 'auto',
    bodyEncoding = 'json', headers = {}, userAgent = `cq-http-tasks/${VERSION}`, allowUrl, followRedirects = false,
    maxResponseBytes = 10 * 1024 * 1024, ...taskOptions
  } = options;
  if (app.tasks.has(name)) throw new HttpConfigError(`a task named ${name} is registered already`);
  if (!(timeout > 0 && Number.isFinite(timeout))) throw new HttpConfigError(`timeout must be a positive number of seconds, not ${String(timeout)}`);
  if (!(Number.isInteger(maxResponseBytes) && maxResponseBytes > 0)) throw new HttpConfigError(`maxResponseBytes must be a positive integer, not ${String(maxResponseBytes)}`);
  if (!['auto', 'envelope', 'json'].includes(response)) throw new HttpConfigError(`response must be auto, envelope or json, not ${String(response)}`);
  if (!['json', 'form'].includes(bodyEncoding)) throw new HttpConfigError(`bodyEncoding must be json or form, not ${String(bodyEncoding)}`);
  if (!(HTTP_METHODS as readonly string[]).includes(defaultMethod)) throw new HttpConfigError(`method must be one of ${HTTP_METHODS.join(', ')}, not ${String(defaultMethod)}`);
  if (defaultUrl !== undefined) {
    try {
      buildRequest(defaultUrl, defaultMethod, {}, { bodyEncoding, headers: {}, userAgent, allowUrl: allowUrl ?? null });
    } catch (error) {
      throw new HttpConfigError(`url: ${(error as Error).message}`, { cause: error });
    }
  }
  const build = { bodyEncoding, headers: { ...headers }, userAgent, allowUrl: allowUrl ?? null };
  const call = { timeout, response, maxResponseBytes, followRedirects };

  const run = async (ctx: TaskContext, url: string | null | undefined, method: string | null | undefined, params: Record<string, unknown>): Promise<unknown> => {
    const request = buildRequest(url ?? defaultUrl, method ?? defaultMethod, params, build);
    const outcome = await dispatch(request, call, ctx.signal);
    const log = app.log;
    if (log.isLevelEnabled('debug')) log.debug(`Task ${ctx.name}[${ctx.request.id}] ${request.method} ${redactUrl(request.url)}: ${outcome.status} in ${Math.round(outcome.ms)} ms`);
    return outcome.value;
  };
  const task = app.task(name, run, {
    ...HTTP_TASK_DEFAULTS, ...taskOptions, bind: true, params: ['url', 'method'], acceptsKwargs: true,
  }) as unknown as HttpDispatchTask;
  return { task, url: (href: string) => new HttpUrl(task, href) };
}
