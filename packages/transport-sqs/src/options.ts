/**
 * The transport's settings: the broker URL and Celery's `broker_transport_options`, by kombu's names
 * (kombu/transport/SQS.py) where kombu has one, read in one place. Times are in **seconds**.
 *
 * | URL | endpoint | credentials |
 * |---|---|---|
 * | `sqs://` | the SDK's regional endpoint (`https://sqs.<region>.amazonaws.com`) | the AWS default chain (env, profile, SSO, container, instance role) |
 * | `sqs://KEY:SECRET@` | regional | the key pair (URL-encoded, decoded here) |
 * | `sqs://KEY:SECRET@host:port` | `http://host:port` (`https://` with `is_secure: true`), as kombu 5.2 | the key pair |
 * | any, with `endpoint_url` | `endpoint_url` (cq's option, for LocalStack and emulators) | as above |
 */
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import { ConfigurationError, type BrokerUrl, type VirtualTransportOptions } from '@cq/kombu';
import { canonicalQueueName, isFifoName } from './names.js';

/** One entry of kombu's `predefined_queues`: an existing queue and, optionally, its own credentials. */
export interface PredefinedQueue {
  /** The queue's URL. Required. */
  url: string;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  /** Region of the queue's client; default the transport's. */
  region?: string;
}

/** Transport options (Celery `broker_transport_options`); times in **seconds**. */
export interface SqsTransportOptions extends VirtualTransportOptions {
  /** AWS region. Default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1` (kombu's default). */
  region?: string;
  /** Put in front of every queue name before it is translated (kombu). Default `''`. */
  queue_name_prefix?: string;
  /**
   * The `VisibilityTimeout` queues are created with, and the visibility every receive and every
   * refresh gives a message (kombu). Default 1800 (30 minutes, kombu's); 0 means the default, as in kombu.
   */
  visibility_timeout?: number;
  /**
   * cq's: while a message is delivered and not yet acked (an `acks_late` task running, an ETA task
   * held by the worker, a prefetched message), its visibility is set back to `visibility_timeout`
   * every this many seconds, so a long task is not delivered twice. Default `visibility_timeout / 2`;
   * 0 turns it off (kombu's behaviour). Must be below `visibility_timeout`.
   */
  visibility_refresh_interval?: number;
  /** Long polling: seconds a receive waits for a message, 0..20 (kombu). Default 10. */
  wait_time_seconds?: number;
  /** Seconds between polls when `wait_time_seconds` is 0 (kombu). Default 1. */
  polling_interval?: number;
  /**
   * Existing queues by SQS name (kombu): with it set, cq neither lists, creates nor deletes queues,
   * and a queue not listed here fails with {@link SqsUndefinedQueueError}.
   */
  predefined_queues?: Record<string, PredefinedQueue>;
  /** kombu's STS role. Needs `@aws-sdk/credential-providers`, not a dependency: see `credentials`. */
  sts_role_arn?: string;
  /** Use https for an endpoint taken from the URL's host (kombu). Default false there; https elsewhere. */
  is_secure?: boolean | string;
  /** cq's: the SQS endpoint (`http://localhost:4566` for LocalStack); wins over the URL's host. */
  endpoint_url?: string;
  /** Extra `CreateQueue` attributes (kombu's `sqs-creation-attributes`), e.g. `{ KmsMasterKeyId: 'alias/aws/sqs' }`. */
  'sqs-creation-attributes'?: Record<string, string>;
  /** Write bodies as base64 (kombu's `sqs_base64_encoding`). Default true. Both forms are read. */
  sqs_base64_encoding?: boolean;
  /**
   * cq's: AWS credentials or a provider of them for every client without keys of its own (URL or
   * predefined queue), e.g. `fromTemporaryCredentials({ params: { RoleArn } })` of
   * `@aws-sdk/credential-providers` for an STS role.
   */
  credentials?: SQSClientConfig['credentials'];
}

/** A predefined queue as resolved. */
export interface ResolvedPredefinedQueue {
  url: string;
  fifo: boolean;
  region: string;
  credentials: SQSClientConfig['credentials'] | undefined;
}

/** Everything the transport reads from its URL and options. */
export interface SqsSettings {
  /** Explicit endpoint, or undefined for the SDK's regional one. */
  endpoint: string | undefined;
  /** For messages: the endpoint, or `sqs.<region>.amazonaws.com`; never a secret. */
  where: string;
  region: string;
  /** Whether the SDK talks https to a regional endpoint. */
  tls: boolean;
  /** Credentials of the default client; undefined = the AWS default chain. */
  credentials: SQSClientConfig['credentials'] | undefined;
  queueNamePrefix: string;
  visibilityTimeout: number;
  /** Seconds; 0 = off. */
  refreshInterval: number;
  waitTimeSeconds: number;
  pollingInterval: number;
  base64: boolean;
  creationAttributes: Record<string, string>;
  /** By SQS queue name; null when `predefined_queues` is not set. */
  predefined: Map<string, ResolvedPredefinedQueue> | null;
}

/**
 * Resolves the URL and options.
 * @throws ConfigurationError (kombu) for an option of the wrong type or range, a key id without its
 *   secret, `sts_role_arn` without `credentials`, or a predefined queue whose name and URL disagree on
 *   `.fifo` (kombu's `InvalidQueueException`).
 */
export function resolveOptions(url: BrokerUrl, options: SqsTransportOptions): SqsSettings {
  const isSecure = flag(options.is_secure, 'is_secure');
  const region = str(options.region, 'region') || process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || 'us-east-1';
  const endpointUrl = str(options.endpoint_url, 'endpoint_url');
  let endpoint: string | undefined;
  if (endpointUrl) endpoint = endpointUrl.replace(/\/+$/, '');
  else if (url.hostname) endpoint = `${isSecure === true ? 'https' : 'http'}://${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}${url.port ? `:${url.port}` : ''}`;
  if (endpoint && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new ConfigurationError(`sqs transport option endpoint_url must be an http(s) URL such as http://localhost:4566, got ${JSON.stringify(endpoint)}`);
  }
  if (url.userid && url.password === null) {
    throw new ConfigurationError('sqs broker URL has an access key id but no secret: write sqs://ACCESS_KEY_ID:SECRET_ACCESS_KEY@ (both URL-encoded), or sqs:// for the AWS default credential chain');
  }
  const fromUrl = url.userid && url.password !== null ? { accessKeyId: url.userid, secretAccessKey: url.password } : undefined;
  if (options.sts_role_arn && !options.credentials) {
    throw new ConfigurationError('sqs transport option sts_role_arn needs the AWS STS client, which @cq/transport-sqs does not depend on: ' +
      'install @aws-sdk/credential-providers and pass `credentials: fromTemporaryCredentials({ params: { RoleArn, RoleSessionName: \'Celery\' } })` ' +
      'in broker_transport_options instead, or use an AWS profile with role_arn (the default credential chain assumes it)');
  }
  const credentials = fromUrl ?? options.credentials;
  // kombu reads `visibility_timeout or 1800`: 0 means the default there, and here.
  const visibilityTimeout = seconds(options, 'visibility_timeout', 1800, 0, 43_200) || 1800;
  const refreshInterval = seconds(options, 'visibility_refresh_interval', visibilityTimeout / 2, 0, 43_200);
  if (refreshInterval > 0 && refreshInterval >= visibilityTimeout) {
    throw new ConfigurationError(`sqs transport option visibility_refresh_interval (${refreshInterval} s) must be below visibility_timeout (${visibilityTimeout} s), or 0 to turn the refresh off`);
  }
  return {
    endpoint,
    where: endpoint ?? `sqs.${region}.amazonaws.com`,
    region,
    tls: isSecure !== false,
    credentials,
    queueNamePrefix: str(options.queue_name_prefix, 'queue_name_prefix'),
    visibilityTimeout,
    refreshInterval,
    waitTimeSeconds: Math.trunc(seconds(options, 'wait_time_seconds', 10, 0, 20)),
    pollingInterval: seconds(options, 'polling_interval', 1, 0, 3600),
    base64: flag(options.sqs_base64_encoding, 'sqs_base64_encoding') !== false,
    creationAttributes: stringMap(options['sqs-creation-attributes'], 'sqs-creation-attributes'),
    predefined: predefinedQueues(options.predefined_queues, region, credentials, str(options.queue_name_prefix, 'queue_name_prefix')),
  };
}

function predefinedQueues(
  value: unknown, region: string, fallback: SQSClientConfig['credentials'] | undefined, prefix: string,
): Map<string, ResolvedPredefinedQueue> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError('sqs transport option predefined_queues must map queue names to { url, access_key_id?, secret_access_key? }');
  }
  const out = new Map<string, ResolvedPredefinedQueue>();
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const q = (raw ?? {}) as Partial<PredefinedQueue>;
    if (typeof q.url !== 'string' || q.url === '') throw new ConfigurationError(`sqs predefined queue ${JSON.stringify(name)} needs a url`);
    const fifoUrl = isFifoName(q.url);
    if (fifoUrl !== isFifoName(name)) {
      throw new ConfigurationError(fifoUrl
        ? `sqs predefined queue with url ${q.url} must have a name ending with .fifo, not ${JSON.stringify(name)}`
        : `sqs predefined queue ${JSON.stringify(name)} is named .fifo but ${q.url} is not a FIFO queue`);
    }
    const own = q.access_key_id && q.secret_access_key
      ? { accessKeyId: q.access_key_id, secretAccessKey: q.secret_access_key, ...(q.session_token ? { sessionToken: q.session_token } : {}) }
      : undefined;
    const resolved = { url: q.url, fifo: fifoUrl, region: q.region ?? region, credentials: own ?? fallback };
    // kombu keys them by SQS name; the kombu queue name (translated here) finds them as well.
    out.set(name, resolved);
    const canonical = canonicalQueueName(prefix, name);
    if (!out.has(canonical)) out.set(canonical, resolved);
  }
  return out;
}

function seconds(options: SqsTransportOptions, key: string, fallback: number, min: number, max: number): number {
  const value = options[key] ?? fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigurationError(`sqs transport option ${key} must be a number of seconds from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function str(value: unknown, key: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ConfigurationError(`sqs transport option ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function flag(value: unknown, key: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True' || value === '1') return true;
  if (value === 'false' || value === 'False' || value === '0') return false;
  throw new ConfigurationError(`sqs transport option ${key} must be true or false, got ${JSON.stringify(value)}`);
}

function stringMap(value: unknown, key: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigurationError(`sqs transport option ${key} must map attribute names to values`);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}
