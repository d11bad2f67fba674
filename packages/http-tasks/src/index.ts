/**
 * @cq/http-tasks — HTTP tasks for cq (the seeds' webhooks; Celery 3's `celery.task.http` revived):
 * a task that calls a URL with its keyword arguments (query for GET, JSON or form body otherwise)
 * and returns the JSON answer, unwrapping Celery 3's `{"status": "success", "retval": ...}`
 * envelope; timeouts, typed errors, and retries by the app's own `autoretryFor` / `retryBackoff` /
 * `maxRetries`. Nothing happens on import: call `registerHttpTasks(app, options)`.
 */
export {
  registerHttpTasks, HttpUrl, HTTP_DISPATCH_TASK, HTTP_TASK_DEFAULTS,
  type HttpTaskOptions, type HttpTaskTaskOptions, type HttpTasks, type HttpDispatchTask,
} from './register.js';
export { buildRequest, HTTP_METHODS, type HttpMethod, type BuiltRequest, type BuildOptions } from './request.js';
export { interpretBody, type ResponseMode } from './response.js';
export { redactUrl } from './redact.js';
export {
  HttpTaskError, HttpConfigError, HttpArgumentError, HttpRequestError, HttpTimeoutError, HttpStatusError, HttpClientError,
  HttpServerError, InvalidResponseError, UnknownStatusError, RemoteExecuteError,
} from './errors.js';
