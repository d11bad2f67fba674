/**
 * Celery's DynamoDB result backend URL (`celery/backends/dynamodb.py`, read with kombu's `_parse_url`):
 *
 * ```
 * dynamodb://[aws_access_key_id:aws_secret_access_key@]region[:port][/table][?read=N&write=N&ttl_seconds=N]
 * dynamodb://@us-east-1                          credentials from the AWS SDK's chain (env, profile, role)
 * dynamodb://key:secret@localhost:8000/results   a local endpoint http://localhost:8000 (region us-east-1)
 * dynamodb://@127.0.0.1:8000                     an IP address is local too (Celery ≥ 5.3)
 * ```
 *
 * The table defaults to `celery`, `read`/`write` (provisioned capacity units) to 1. `ttl_seconds`
 * (integer) turns item expiry on (≥ 0) or off on the table (< 0); absent, the table's TTL is left as it
 * is and items carry no `ttl`. Credentials must come as a pair. Special characters in the secret
 * (`/`, `+`) must be percent-encoded, as for Python.
 */
import { isIP } from 'node:net';
import { DynamoDBUrlError } from './errors.js';

const FORM = 'dynamodb://[key:secret@]region[:port][/table][?read=1&write=1&ttl_seconds=86400]';

export interface DynamoDBUrl {
  /** AWS region; `us-east-1` for a local endpoint; null: the AWS SDK's default region. */
  region: string | null;
  /** `http://<host>:<port>` when the host is `localhost` or an IP address, else null. */
  endpoint: string | null;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  /** Default `celery`. */
  tableName: string;
  /** Provisioned read capacity when the table is created. Default 1. */
  readCapacityUnits: number;
  /** Provisioned write capacity when the table is created. Default 1. */
  writeCapacityUnits: number;
  /** `ttl_seconds`: null leaves TTL alone; ≥ 0 enables it (items expire this many seconds after a write); < 0 disables it. */
  timeToLiveSeconds: number | null;
}

/**
 * Reads a `dynamodb://` URL as Celery does. Pure.
 * @throws DynamoDBUrlError for another scheme, one credential without the other, a non-integer
 *   `read`/`write`/`ttl_seconds`, a bad port, or a local host without a port.
 */
export function parseDynamoDBUrl(url: string): DynamoDBUrl {
  const match = /^dynamodb:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i.exec(url.trim());
  if (!match) throw new DynamoDBUrlError(`not a DynamoDB result backend URL: ${JSON.stringify(redactUrl(url))} (expected ${FORM})`);
  const [, netloc = '', path = '', search = ''] = match;
  const at = netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? netloc.slice(0, at) : null;
  const hostport = netloc.slice(at + 1);
  const colon = userinfo?.indexOf(':') ?? -1;
  const accessKeyId = (userinfo !== null && decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo)) || null;
  const secretAccessKey = (userinfo !== null && colon >= 0 && decode(userinfo.slice(colon + 1))) || null;
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    throw new DynamoDBUrlError(`give both the access key id and the secret in ${JSON.stringify(redactUrl(url))}, or neither (${FORM})`);
  }
  const hostMatch = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostport)!;
  const host = decode(hostMatch[1]!.replace(/^\[|\]$/g, '')).toLowerCase() || null;
  const port = hostMatch[2] ? integer(hostMatch[2], 'port', url) : null;
  if (port !== null && (port < 0 || port > 65535)) throw new DynamoDBUrlError(`port out of range in ${JSON.stringify(redactUrl(url))}`);
  // parse_qsl drops blank values (`?read=` reads as absent).
  const query = Object.fromEntries([...new URLSearchParams(search)].filter(([, v]) => v !== ''));
  const local = host !== null && (host === 'localhost' || isIP(host) !== 0);
  if (local && port === null) throw new DynamoDBUrlError(`a local DynamoDB endpoint needs a port: dynamodb://key:secret@${host}:8000/table`);
  const ttl = query['ttl_seconds'];
  return {
    region: local ? 'us-east-1' : host,
    endpoint: local ? `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}` : null,
    accessKeyId,
    secretAccessKey,
    tableName: decode(path.replace(/^\//, '')) || 'celery',
    readCapacityUnits: query['read'] !== undefined ? integer(query['read'], 'read', url) : 1,
    writeCapacityUnits: query['write'] !== undefined ? integer(query['write'], 'write', url) : 1,
    timeToLiveSeconds: ttl ? integer(ttl, 'ttl_seconds', url) : null,
  };
}

/** The URL with its secret masked, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(dynamodb:\/\/[^:@/]*:)([^@/]*)@/i, '$1**@');
}

/** Python's `int(text)` for plain decimal text. */
function integer(text: string, what: string, url: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new DynamoDBUrlError(`${what} must be an integer, got ${JSON.stringify(text)} in ${JSON.stringify(redactUrl(url))}`);
  return Number(text);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
