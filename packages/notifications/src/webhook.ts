/**
 * POSTs a failure notification as JSON (`content-type: application/json`, the shape of
 * notification.ts) to a webhook with Node's fetch. A 2xx answer is success; anything else, a timeout
 * or a network error rejects with {@link WebhookSendError}. Redirects are not followed, so the
 * configured headers (tokens) only ever go to the configured URL. Neither the headers nor the URL's
 * credentials and query appear in errors: the URL is shown as {@link webhookLabel}.
 */
import { NotificationConfigError, WebhookSendError } from './errors.js';
import type { FailureNotification } from './notification.js';

export interface WebhookOptions {
  /** The `http:` or `https:` URL notifications are POSTed to. */
  url: string;
  /** Extra request headers (e.g. `authorization`); never logged. Default none. */
  headers?: Record<string, string>;
  /** Milliseconds a request may take, answer included. Default 5,000. */
  timeout?: number;
}

/** Checks `options` and returns them with defaults; throws {@link NotificationConfigError} for a URL that is not http(s). */
export function webhookConfig(options: WebhookOptions): Required<WebhookOptions> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (error) {
    throw new NotificationConfigError('webhook.url is not a URL', { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NotificationConfigError(`webhook.url must be http: or https:, not ${url.protocol}`);
  }
  const timeout = options.timeout ?? 5000;
  if (!(timeout > 0)) throw new NotificationConfigError(`webhook.timeout must be a positive number of milliseconds, not ${String(timeout)}`);
  return { url: options.url, headers: { ...options.headers }, timeout };
}

/** The URL as it may be shown: origin and path, without user, password, query or fragment. */
export function webhookLabel(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** POSTs `notification` to the webhook; resolves on a 2xx answer. */
export async function postWebhook(config: Required<WebhookOptions>, notification: FailureNotification): Promise<void> {
  const label = webhookLabel(config.url);
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json' },
      body: JSON.stringify(notification),
      redirect: 'manual',
      signal: AbortSignal.timeout(config.timeout),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    const reason = timedOut ? `no answer within ${config.timeout} ms` : describe(error);
    throw new WebhookSendError(`could not POST the failure notification to ${label}: ${reason}`, { cause: error });
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status >= 300) {
    throw new WebhookSendError(`the webhook ${label} answered ${response.status} ${response.statusText}`.trimEnd(), { status: response.status });
  }
}

/** An error's message and its cause's (fetch says `fetch failed`, the cause says why). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
