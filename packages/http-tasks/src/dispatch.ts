/**
 * One HTTP call with Node's fetch (Celery 3 `HttpDispatch.dispatch`): sends the request built by
 * request.ts, waits at most `timeout` seconds for the whole answer (headers and body), and turns
 * what can go wrong into the errors of errors.ts. The task's own signal (soft time limit, revoke,
 * worker shutdown) aborts the call too, and then its reason is rethrown as it is, so the worker
 * handles it as for any task (SoftTimeLimitExceeded, ...). Redirects are not followed unless
 * `followRedirects` (the registration's headers would go to wherever the redirect points).
 */
import { HttpClientError, HttpRequestError, HttpServerError, HttpTimeoutError } from './errors.js';
import { redactUrl } from './redact.js';
import type { BuiltRequest } from './request.js';
import { interpretBody, readBody, type ResponseMode } from './response.js';

export interface DispatchOptions {
  /** Seconds for the whole answer. */
  timeout: number;
  response: ResponseMode;
  maxResponseBytes: number;
  followRedirects: boolean;
}

/** What one call did, for the debug log line. */
export interface DispatchOutcome {
  value: unknown;
  status: number;
  ms: number;
}

/** Sends `request` and resolves with what the task returns; see the module doc for the errors. */
export async function dispatch(request: BuiltRequest, options: DispatchOptions, taskSignal: AbortSignal | null): Promise<DispatchOutcome> {
  const started = performance.now();
  const label = `${request.method} ${redactUrl(request.url)}`;
  const timer = AbortSignal.timeout(options.timeout * 1000);
  const signal = taskSignal ? AbortSignal.any([timer, taskSignal]) : timer;
  /** The error for an abort: the task's own reason, else our timeout. */
  const aborted = (error: unknown): unknown => {
    if (taskSignal?.aborted) return taskSignal.reason as unknown;
    return new HttpTimeoutError(`${label}: no complete answer within ${options.timeout} s`, { cause: error, timeout: options.timeout });
  };
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method, headers: request.headers, body: request.body, signal,
      redirect: options.followRedirects ? 'follow' : 'manual',
    });
  } catch (error) {
    if (signal.aborted) throw aborted(error);
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new HttpRequestError(`${label}: no answer (${error instanceof Error ? error.message : String(error)}${cause})`, { cause: error });
  }
  let body: string;
  try {
    body = await readBody(response, options.maxResponseBytes);
  } catch (error) {
    if (signal.aborted) throw aborted(error);
    if (error instanceof Error && error.name === 'InvalidResponseError') throw error;
    throw new HttpRequestError(`${label}: the answer broke off (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const { status } = response;
  if (status < 200 || status >= 300) {
    const what = `${label} answered ${status} ${response.statusText}`.trimEnd();
    const excerpt = body.slice(0, 1024);
    if (status >= 500) throw new HttpServerError(what, { status, body: excerpt });
    throw new HttpClientError(status < 400 ? `${what} (redirects are not followed: followRedirects)` : what, { status, body: excerpt });
  }
  return { value: interpretBody(body, options.response), status, ms: performance.now() - started };
}
