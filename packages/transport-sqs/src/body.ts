/**
 * SQS message bodies as kombu's SQS transport writes and reads them (`Channel._put`,
 * `_message_to_python`, `_optional_b64_decode`):
 *
 * - written: the JSON of the kombu virtual-transport envelope (`{body, content-encoding,
 *   content-type, headers, properties}`, whose `body` is base64 again), then base64 of that JSON
 *   (kombu's `AsyncMessage.encode`), or the JSON as it is with `sqs_base64_encoding: false`;
 * - read: base64 is decoded when the body is valid base64 of UTF-8 text (kombu 5.6's test), otherwise
 *   the body is taken as it is, so plain JSON bodies (kombu with `sqs_base64_encoding: False`) work;
 *   text that is not a kombu envelope (a message some other producer sent) is wrapped the way kombu
 *   wraps it: the text becomes the message body, with empty headers.
 *
 * The envelope's keys come in kombu's order (see @cq/kombu `toEnvelope`) and its JSON is written as
 * Python writes it, so the same envelope gives the same bytes on both sides.
 */
import type { Envelope } from '@cq/kombu';

/** Standard base64 with padding, as Python's `base64.b64encode` writes it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The SQS `MessageBody` for `envelope`: base64 of its JSON unless `base64` is false. The JSON is
 * written as Python's `json.dumps` writes it (`, ` and `: ` separators, non-ASCII as `\uXXXX`), so
 * an envelope encodes to the same bytes kombu's transport would send.
 */
export function encodeBody(envelope: Envelope, base64 = true): string {
  const json = pythonJson(envelope);
  return base64 ? Buffer.from(json, 'utf8').toString('base64') : json;
}

/** Python's `json.dumps(value)` with its defaults, for the JSON values an envelope holds. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') return 'null';
  switch (typeof value) {
    case 'string':
      return asciiString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return pythonJson(withJson.toJSON());
  const fields = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
  return `{${fields.map(([k, v]) => `${asciiString(k)}: ${pythonJson(v)}`).join(', ')}}`;
}

/** A JSON string literal with every non-ASCII character escaped (Python's `ensure_ascii=True`). */
function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The text a body carries: base64-decoded when it is base64 of UTF-8 text, else the body itself. */
export function bodyText(raw: string): string {
  const candidate = raw.trim();
  if (candidate === '' || !BASE64.test(candidate)) return raw;
  const bytes = Buffer.from(candidate, 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return raw;
  }
}

/** The envelope an SQS body carries (see the header for plain JSON and foreign bodies). */
export function decodeBody(raw: string): Envelope {
  const text = bodyText(raw);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (isEnvelope(value)) {
    const properties = value.properties;
    return {
      ...value,
      headers: value.headers ?? {},
      properties: { ...properties, delivery_info: properties.delivery_info ?? { exchange: '', routing_key: '' } },
    };
  }
  // Not sent by kombu: the whole text is the body (kombu sets no content type; JSON is the likely one).
  return {
    body: text,
    'content-encoding': 'utf-8',
    'content-type': value === undefined ? 'text/plain' : 'application/json',
    headers: {},
    properties: { delivery_info: { exchange: '', routing_key: '' }, delivery_tag: '', body_encoding: 'utf-8', priority: 0 },
  };
}

function isEnvelope(value: unknown): value is Envelope {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v['body'] === 'string' && v['properties'] !== null && typeof v['properties'] === 'object';
}
