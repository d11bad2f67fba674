/**
 * Errors of @cq/transport-sqs, and how AWS SDK failures map onto @cq/kombu's classes (the worker and
 * the producer's retry decide on those: a recoverable `TransportError` is retried).
 *
 * ```
 * KombuError (@cq/kombu)
 * ├── ConfigurationError
 * │   └── SqsUndefinedQueueError    CQ_SQS_UNDEFINED_QUEUE  a queue missing from `predefined_queues`
 * │                                                        (kombu UndefinedQueueException)
 * └── TransportError
 *     ├── ConnectionError           (kombu)   refused/reset/timed-out socket, DNS failure, HTTP 5xx,
 *     │                                       throttling: recoverable, retry
 *     ├── NotFoundError             (kombu)   the queue does not exist (deleted under us)
 *     └── SqsRequestError           CQ_SQS_REQUEST  any other refusal; `awsCode` kept; not recoverable
 * ```
 *
 * Missing, wrong or expired credentials and denied access become kombu's `ConfigurationError`,
 * naming the URL or option to fix. No message ever holds a secret: errors name the endpoint only.
 */
import { ConfigurationError, ConnectionError, NotFoundError, TransportError, type KombuErrorOptions } from '@cq/kombu';

/** A queue that `predefined_queues` does not list, while it is set (kombu `UndefinedQueueException`). */
export class SqsUndefinedQueueError extends ConfigurationError {
  override readonly code: string = 'CQ_SQS_UNDEFINED_QUEUE';
}

/** A request SQS refused for a reason a retry will not fix. `awsCode` is the SDK's error name. */
export class SqsRequestError extends TransportError {
  override readonly code: string = 'CQ_SQS_REQUEST';
  readonly awsCode: string | undefined;
  constructor(message: string, options: KombuErrorOptions & { awsCode?: string } = {}) {
    super(message, { ...options, recoverable: false });
    this.awsCode = options.awsCode;
  }
}

const NETWORK = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|ECONNABORTED|UND_ERR_SOCKET)$/;
const THROTTLED = /Throttl|RequestThrottled|TooManyRequests|SlowDown|ServiceUnavailable|InternalError|InternalFailure|KMS\.Throttling/;
const CREDENTIALS = /CredentialsProviderError|InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch|IncompleteSignature|MissingAuthenticationToken|InvalidSecurity|ExpiredToken|AccessDenied|NotAuthorized|AuthFailure|OptInRequired/;
const MISSING_QUEUE = /QueueDoesNotExist|NonExistentQueue/;

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** True when `err` is a lost connection, a 5xx or throttling: a later retry may get past it. */
export function isRecoverable(err: unknown): boolean {
  if (err instanceof TransportError) return err.recoverable;
  const e = (err ?? {}) as SdkError;
  if (NETWORK.test(String(e.code ?? '')) || NETWORK.test(String((e as { cause?: SdkError }).cause?.code ?? ''))) return true;
  if (e.name === 'TimeoutError' || THROTTLED.test(String(e.name ?? ''))) return true;
  return (e.$metadata?.httpStatusCode ?? 0) >= 500;
}

/** True when SQS says the queue does not exist. */
export function isMissingQueue(err: unknown): boolean {
  return MISSING_QUEUE.test(String((err as SdkError | null)?.name ?? ''));
}

/**
 * Wraps `err`, thrown while doing `action` against `where` (the endpoint, never a secret), in the
 * matching kombu error (see the drawing above), keeping it as `cause`. Kombu errors pass through.
 */
export function toTransportError(err: unknown, action: string, where: string): Error {
  if (err instanceof TransportError || err instanceof ConfigurationError) return err;
  const e = (err ?? {}) as SdkError;
  const name = String(e.name ?? 'Error');
  const reason = `${name}: ${e.message ?? String(err)}`;
  if (isRecoverable(err)) {
    return new ConnectionError(`sqs ${where} failed while ${action} (${reason}): retry once it is reachable`, { cause: err });
  }
  if (CREDENTIALS.test(name)) {
    return new ConfigurationError(`sqs ${where} refused us while ${action} (${reason}): give valid AWS credentials ` +
      '(sqs://ACCESS_KEY_ID:SECRET_ACCESS_KEY@ with both URL-encoded, or the AWS default credential chain) with access to SQS', { cause: err });
  }
  if (isMissingQueue(err)) return new NotFoundError(`sqs ${where}: the queue does not exist (while ${action})`, { cause: err });
  return new SqsRequestError(`sqs ${where} failed while ${action}: ${reason}`, { cause: err, awsCode: name });
}
