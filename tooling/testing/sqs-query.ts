/**
 * SQS's older **query** protocol (API 2012-11-05: form-encoded `Action=...`, XML replies), as
 * botocore 1.29 and kombu 5.2's pycurl client speak it, translated to and from the **JSON**
 * protocol fauxqs serves (`X-Amz-Target: AmazonSQS.<Action>`).
 *
 * Requests: `Attribute.N.Name/Value` → `Attributes`, `AttributeName.N` → `AttributeNames`,
 * `MessageAttribute.N.Name/Value.*` → `MessageAttributes`, `Tag.N.Key/Value` → `tags`,
 * `<Action>RequestEntry.N.*` → `Entries`, numeric parameters → numbers, and the queue URL taken
 * from the request path when `QueueUrl` is absent (kombu's async client posts to the queue URL).
 * Replies: `<Action>Response>/<Action>Result>` with lists flattened (`QueueUrl`, `Message`,
 * `<Action>ResultEntry`, `BatchResultErrorEntry`) and maps as `Attribute`/`MessageAttribute`/`Tag`
 * name-value pairs; errors as `<ErrorResponse>` with the query error code fauxqs names in its
 * `x-amzn-query-error` header.
 */
import { randomUUID } from 'node:crypto';

/** The SQS actions the query front translates; any other `Action` is passed to fauxqs as it is. */
export const SQS_QUERY_ACTIONS: ReadonlySet<string> = new Set([
  'CreateQueue', 'DeleteQueue', 'GetQueueUrl', 'ListQueues', 'GetQueueAttributes', 'SetQueueAttributes',
  'PurgeQueue', 'SendMessage', 'SendMessageBatch', 'ReceiveMessage', 'DeleteMessage', 'DeleteMessageBatch',
  'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch', 'TagQueue', 'UntagQueue', 'ListQueueTags',
]);

const XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';
/** Parameters that sign or describe the request rather than being the action's input. */
const ENVELOPE = /^(Action|Version|AWSAccessKeyId|Signature|SignatureMethod|SignatureVersion|Timestamp|Expires|X-Amz-.*)$/;
const NUMERIC = new Set(['MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds', 'DelaySeconds', 'MaxResults']);

type Tree = { [key: string]: Tree | string };

/** `a.1.b=v` pairs as a tree (`{ a: { '1': { b: v } } }`). */
function nest(params: URLSearchParams): Tree {
  const root: Tree = {};
  for (const [key, value] of params) {
    if (ENVELOPE.test(key)) continue;
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = typeof next === 'object' ? next : (node[part] = {});
    }
    node[parts[parts.length - 1]!] = value;
  }
  return root;
}

/** The members of a query list (`X.1`, `X.2`, ... in index order); a lone value or struct is a list of one. */
function members(node: Tree | string): (Tree | string)[] {
  if (typeof node === 'string') return [node];
  const keys = Object.keys(node);
  if (keys.length === 0 || !keys.every((k) => /^\d+$/.test(k))) return [node];
  return keys.sort((a, b) => Number(a) - Number(b)).map((k) => node[k]!);
}

const text = (node: Tree | string | undefined): string => (typeof node === 'string' ? node : '');

/** `X.N.<key>` / `X.N.<value>` pairs as a JSON map. */
function pairs(node: Tree | string, key: string, value: string, convert: (v: Tree | string) => unknown = text): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of members(node)) if (typeof m === 'object') out[text(m[key])] = convert(m[value] ?? '');
  return out;
}

/** A message attribute value: `DataType`, `StringValue`, `BinaryValue`, `StringListValue.N`, `BinaryListValue.N`. */
function attributeValue(node: Tree | string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof node === 'string') return out;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'StringListValue' || k === 'BinaryListValue') out[`${k}s`] = members(v).map(text);
    else out[k] = text(v);
  }
  return out;
}

/** The JSON protocol's input for a query request's parameters (already nested). */
function jsonInput(tree: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(tree)) {
    if (key === 'Attribute') out.Attributes = pairs(node, 'Name', 'Value');
    else if (key === 'AttributeName' || key === 'MessageAttributeName' || key === 'MessageSystemAttributeName' || key === 'TagKey') {
      out[`${key}s`] = members(node).map(text);
    } else if (key === 'MessageAttribute' || key === 'MessageSystemAttribute') out[`${key}s`] = pairs(node, 'Name', 'Value', attributeValue);
    else if (key === 'Tag') out.tags = pairs(node, 'Key', 'Value');
    else if (key.endsWith('BatchRequestEntry')) out.Entries = members(node).map((m) => jsonInput(typeof m === 'object' ? m : {}));
    else if (NUMERIC.has(key)) out[key] = Number(text(node));
    else out[key] = typeof node === 'string' ? node : jsonInput(node);
  }
  return out;
}

/** A query request as the JSON protocol's action and input. */
export interface TranslatedRequest {
  action: string;
  input: Record<string, unknown>;
}

/**
 * Translates query parameters (from a form body or a presigned GET's query string) into a JSON
 * protocol call. `queueUrlFromPath` is the queue URL the request was sent to (its path not `/`),
 * used when the parameters carry no `QueueUrl`; `canonicalQueueUrl` rewrites any queue URL given.
 */
export function translateQueryRequest(params: URLSearchParams, queueUrlFromPath: string | undefined, canonicalQueueUrl: (url: string) => string): TranslatedRequest {
  const action = params.get('Action') ?? '';
  const input = jsonInput(nest(params));
  if (typeof input.QueueUrl === 'string') input.QueueUrl = canonicalQueueUrl(input.QueueUrl);
  else if (queueUrlFromPath && action !== 'CreateQueue' && action !== 'GetQueueUrl' && action !== 'ListQueues') input.QueueUrl = queueUrlFromPath;
  return { action, input };
}

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

const element = (name: string, inner: string): string => `<${name}>${inner}</${name}>`;

/** The name of one member of a flattened list in a reply. */
function listMember(key: string, action: string): string {
  switch (key) {
    case 'QueueUrls': return 'QueueUrl';
    case 'Messages': return 'Message';
    case 'Successful': return `${action}ResultEntry`;
    case 'Failed': return 'BatchResultErrorEntry';
    case 'StringListValues': return 'StringListValue';
    case 'BinaryListValues': return 'BinaryListValue';
    default: return key;
  }
}

/** One field of a JSON reply as query XML. */
function field(key: string, value: unknown, action: string): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => field(listMember(key, action), item, action)).join('');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (key === 'Attributes') return entries.map(([k, v]) => element('Attribute', element('Name', escapeXml(k)) + field('Value', v, action))).join('');
    if (key === 'MessageAttributes') return entries.map(([k, v]) => element('MessageAttribute', element('Name', escapeXml(k)) + fields('Value', v, action))).join('');
    if (key === 'Tags') return entries.map(([k, v]) => element('Tag', element('Key', escapeXml(k)) + field('Value', v, action))).join('');
    return fields(key, value, action);
  }
  return element(key, escapeXml(String(value)));
}

/** A struct as an element holding one element per field. */
function fields(key: string, value: unknown, action: string): string {
  const inner = Object.entries(value as Record<string, unknown>).map(([k, v]) => field(k, v, action)).join('');
  return element(key, inner);
}

const metadata = (): string => element('ResponseMetadata', element('RequestId', randomUUID()));

/** Actions whose reply is only `ResponseMetadata`; every other reply has its `<Action>Result>`, even empty. */
const NO_RESULT = new Set(['DeleteQueue', 'SetQueueAttributes', 'PurgeQueue', 'DeleteMessage', 'ChangeMessageVisibility', 'TagQueue', 'UntagQueue']);

/**
 * The XML reply botocore's query parser expects for `action`'s JSON output (botocore fails with
 * `KeyError: '<Action>Result'` when an action with an output shape, such as an empty ReceiveMessage,
 * comes back without it).
 */
export function renderQueryReply(action: string, output: Record<string, unknown>): string {
  const result = NO_RESULT.has(action) ? '' : fields(`${action}Result`, output, action);
  return `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}">${result}${metadata()}</${action}Response>`;
}

/**
 * The XML `<ErrorResponse>` for a JSON error reply: the code from fauxqs's `x-amzn-query-error`
 * header (`<code>;<Sender|Receiver>`), else the JSON `__type` after `#`.
 */
export function renderQueryError(json: { __type?: string; message?: string }, queryErrorHeader: string | undefined): string {
  const [headerCode, fault] = (queryErrorHeader ?? '').split(';');
  const code = headerCode || (json.__type ?? 'InternalFailure').split('#').pop()!;
  const error = element('Type', fault || 'Sender') + element('Code', escapeXml(code)) + element('Message', escapeXml(json.message ?? '')) + '<Detail/>';
  return `<?xml version="1.0"?><ErrorResponse xmlns="${XMLNS}">${element('Error', error)}${element('RequestId', randomUUID())}</ErrorResponse>`;
}
