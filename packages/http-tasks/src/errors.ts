/**
 * Errors of @cq/http-tasks, each with a stable `code` and its `cause`. They are what an HTTP task
 * fails with (stored in the result backend under their class name, so Celery 3's three names reach
 * a Python client as it knew them) and what `autoretryFor` matches. No message carries a URL's
 * credentials or query values (see redact.ts).
 *
 * ```
 * HttpTaskError                 CQ_HTTP_TASK
 * ├── HttpConfigError           CQ_HTTP_TASK_CONFIG            bad registerHttpTasks() options, a name taken
 * ├── HttpArgumentError         CQ_HTTP_TASK_ARGUMENTS         the task's url/method cannot be used (not http(s), refused by allowUrl)
 * ├── HttpRequestError          CQ_HTTP_TASK_REQUEST           no answer: DNS, connection refused or reset     (retried by default)
 * ├── HttpTimeoutError          CQ_HTTP_TASK_TIMEOUT           no full answer within `timeout` seconds          (retried by default)
 * ├── HttpStatusError           CQ_HTTP_TASK_STATUS            an answer outside 2xx; `status`
 * │   ├── HttpClientError       CQ_HTTP_TASK_CLIENT_ERROR      4xx (and 3xx when redirects are not followed)
 * │   └── HttpServerError       CQ_HTTP_TASK_SERVER_ERROR      5xx                                              (retried by default)
 * ├── InvalidResponseError      CQ_HTTP_TASK_INVALID_RESPONSE  not JSON, too large, or empty where Celery 3's envelope is required (Celery 3's name)
 * │   └── UnknownStatusError    CQ_HTTP_TASK_UNKNOWN_STATUS    an envelope whose status is neither success nor failure (Celery 3's name)
 * └── RemoteExecuteError        CQ_HTTP_TASK_REMOTE            `{"status": "failure", "reason": ...}` (Celery 3's name); `reason`
 * ```
 */
export class HttpTaskError extends Error {
  readonly code: string = 'CQ_HTTP_TASK';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** registerHttpTasks() options that cannot work, or a task name already registered. */
export class HttpConfigError extends HttpTaskError {
  override readonly code: string = 'CQ_HTTP_TASK_CONFIG';
}

/** The URL or method a task was called with cannot be used; never retried. */
export class HttpArgumentError extends HttpTaskError {
  override readonly code: string = 'CQ_HTTP_TASK_ARGUMENTS';
}

/** The request got no answer (DNS, refused, reset, TLS); `cause` is fetch's error. */
export class HttpRequestError extends HttpTaskError {
  override readonly code: string = 'CQ_HTTP_TASK_REQUEST';
}

/** No complete answer (headers and body) within the task's `timeout`. */
export class HttpTimeoutError extends HttpTaskError {
  override readonly code: string = 'CQ_HTTP_TASK_TIMEOUT';
  /** The timeout that ran out, in seconds. */
  readonly timeout: number;
  constructor(message: string, options: { cause?: unknown; timeout: number }) {
    super(message, options);
    this.timeout = options.timeout;
  }
}

/** The server answered with a status outside 2xx. */
export class HttpStatusError extends HttpTaskError {
  override readonly code: string = 'CQ_HTTP_TASK_STATUS';
  /** The HTTP status, e.g. 503. */
  readonly status: number;
  /** The first KiB of the answer's body, for diagnosis (not in the message). */
  readonly body: string;
  constructor(message: string, options: { cause?: unknown; status: number; body?: string }) {
    super(message, options);
    this.status = options.status;
    this.body = options.body ?? '';
  }
}

/** A 4xx answer (or a 3xx when redirects are not followed): the request itself is wrong; not retried by default. */
export class HttpClientError extends HttpStatusError {
  override readonly code: string = 'CQ_HTTP_TASK_CLIENT_ERROR';
}

/** A 5xx answer: retried by default. */
export class HttpServerError extends HttpStatusError {
  override readonly code: string = 'CQ_HTTP_TASK_SERVER_ERROR';
}

/** The answer is not usable JSON (Celery 3 `celery.task.http.InvalidResponseError`). */
export class InvalidResponseError extends HttpTaskError {
  override readonly code: string = 'CQ_HTTP_TASK_INVALID_RESPONSE';
}

/** Celery 3's envelope with a status other than `success` or `failure` (`UnknownStatusError`). */
export class UnknownStatusError extends InvalidResponseError {
  override readonly code: string = 'CQ_HTTP_TASK_UNKNOWN_STATUS';
}

/** The remote end reported a failure in Celery 3's envelope (`RemoteExecuteError`); the message is its `reason`. */
export class RemoteExecuteError extends HttpTaskError {
  override readonly code: string = 'CQ_HTTP_TASK_REMOTE';
  /** The envelope's `reason`, as sent (may be null). */
  readonly reason: unknown;
  constructor(reason: unknown) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason) ?? 'None');
    this.reason = reason;
  }
}
