/**
 * The serializer registry (kombu `kombu/serialization.py`): name/alias/content-type lookup, `dumps`,
 * `loads` with the `accept` allow-list, and `prepareAccept`.
 *
 * Registered by default: `json` (application/json, utf-8), `msgpack` (application/x-msgpack, binary),
 * `yaml` (application/x-yaml, utf-8), `raw` (application/data, pass-through) and `pickle` (accept lists
 * only; always fails). Names and content types are matched case-insensitively.
 */

import { ContentDisallowedError, DecodeError, EncodeError, SerializationError } from '../errors.js';
import { jsonSerializer, pickleSerializer, rawSerializer } from './builtins.js';
import { msgpackSerializer } from './msgpack.js';
import { yamlSerializer } from './yaml.js';
import { assertDepth, depthError, isStackOverflow } from './limits.js';

/** A named codec between values and message bodies (kombu `registry.register`). */
export interface Serializer {
  /** Short name used in settings (`task_serializer`, `accept_content`), e.g. `json`. */
  name: string;
  /** MIME type written to the message's `content_type`, e.g. `application/json`. */
  contentType: string;
  /** Written to `content_encoding`: `utf-8` for text formats, `binary` for binary ones. */
  contentEncoding: string;
  /** Value → body bytes. Errors are wrapped in EncodeError by `dumps`. */
  encode(value: unknown): Buffer;
  /** Body bytes → value. Errors are wrapped in DecodeError by `loads`. */
  decode(body: Buffer): unknown;
}

/** Content types kombu always lets through, whatever `accept` says (`TRUSTED_CONTENT`). */
const TRUSTED = new Set(['application/data', 'application/text']);
/** Encodings kombu does not decode to text (`SKIP_DECODE`). */
const BINARY_ENCODINGS = new Set(['binary', 'ascii-8bit']);

const byName = new Map<string, Serializer>();
const byContentType = new Map<string, Serializer>();

/**
 * Register `serializer` under its name, each alias and its content type, replacing any previous
 * holder of those keys. Decoding by content type uses the last serializer registered for it.
 */
export function registerSerializer(serializer: Serializer, aliases: string[] = []): void {
  for (const name of [serializer.name, ...aliases]) byName.set(name.toLowerCase(), serializer);
  byContentType.set(serializer.contentType.toLowerCase(), serializer);
}

/**
 * Look up a serializer by name, alias or content type.
 * @throws SerializationError naming the registered serializers when none matches.
 */
export function getSerializer(nameOrContentType: string, scope?: SerializerScope): Serializer {
  const key = nameOrContentType.toLowerCase();
  const found = scope?.find(key) ?? byName.get(key) ?? byContentType.get(key);
  if (found) return found;
  throw new SerializationError(
    `no serializer registered for ${JSON.stringify(nameOrContentType)}; registered: ${[...(scope?.names() ?? []), ...byName.keys()].join(', ')}`,
  );
}

/**
 * Serializers of one app, consulted before the process-wide registry: what kombu's global
 * `registry.register` does for Celery's `auth` serializer, kept to the app that set it up so two
 * apps in one process do not affect each other. Give it to `dumps`, `loads`, `prepareAccept`, a
 * `Producer` or a `Consumer` (`serializers` option).
 */
export class SerializerScope {
  private readonly byName = new Map<string, Serializer>();
  private readonly byContentType = new Map<string, Serializer>();

  /** Registers `serializer` in this scope under its name, each alias and its content type. */
  register(serializer: Serializer, aliases: string[] = []): void {
    for (const name of [serializer.name, ...aliases]) this.byName.set(name.toLowerCase(), serializer);
    this.byContentType.set(serializer.contentType.toLowerCase(), serializer);
  }

  /** This scope's serializer for a lowercase name, alias or content type, if any. */
  find(key: string): Serializer | undefined {
    return this.byName.get(key) ?? this.byContentType.get(key);
  }

  /** This scope's decoder for a lowercase content type, if any. */
  decoder(contentType: string): Serializer | undefined {
    return this.byContentType.get(contentType);
  }

  /** The names registered in this scope. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/**
 * Serialize `value` with the named serializer (default `json`, Celery's `task_serializer` default).
 * With `raw`, a Buffer goes out unchanged (`binary`) and a string as UTF-8 (`utf-8`), as kombu's
 * `raw_encode`.
 * @throws SerializationError for an unknown serializer; EncodeError when the value cannot be encoded.
 */
export function dumps(
  value: unknown,
  serializer = 'json',
  scope?: SerializerScope,
): { body: Buffer; contentType: string; contentEncoding: string } {
  const s = getSerializer(serializer, scope);
  let body: Buffer;
  try {
    body = s.encode(value);
  } catch (error) {
    if (error instanceof EncodeError) throw error;
    throw new EncodeError(`${s.name} cannot encode the value: ${(error as Error)?.message ?? error}`, { cause: error });
  }
  const contentEncoding = s === rawSerializer && typeof value === 'string' ? 'utf-8' : s.contentEncoding;
  return { body, contentType: s.contentType, contentEncoding };
}

/**
 * Normalise an accept list of serializer names and/or content types to a set of lowercase content
 * types (kombu `prepare_accept_content`). `null`/`undefined` (accept everything) stays `null`.
 * Names are looked up in `scope` first, then in the registry.
 * @throws SerializationError for a name that is not registered.
 */
export function prepareAccept(accept: readonly string[] | null | undefined, scope?: SerializerScope): Set<string> | null {
  if (accept == null) return null;
  const out = new Set<string>();
  for (const item of accept) out.add(item.includes('/') ? item.toLowerCase() : getSerializer(item, scope).contentType.toLowerCase());
  return out;
}

/**
 * Deserialize a message body (kombu `loads`).
 *
 * - `accept`: serializer names or content types allowed (Celery `accept_content`); `null`/`undefined`
 *   accepts all. `application/data` and `application/text` are always allowed.
 * - An empty `contentType` means `application/data`. An empty body is returned as-is.
 * - `application/data`, `application/text`, `text/plain` and content types with no serializer are
 *   returned raw: the Buffer when `contentEncoding` is `binary`, else the text decoded with it.
 * - `scope`: an app's own serializers, consulted first (e.g. `auth` decodes `application/data`).
 *
 * @throws ContentDisallowedError when the content type is not accepted; DecodeError when the body
 *   cannot be decoded; SerializationError when `accept` names an unknown serializer.
 */
export function loads(
  body: Buffer,
  contentType: string,
  contentEncoding: string,
  accept?: readonly string[] | null,
  scope?: SerializerScope,
): unknown {
  const type = (contentType || 'application/data').toLowerCase();
  const allowed = prepareAccept(accept, scope);
  if (allowed && !TRUSTED.has(type) && !allowed.has(type)) {
    throw new ContentDisallowedError(
      `refusing to deserialize untrusted content of type ${type} (accepted: ${[...allowed].join(', ') || 'none'})`,
    );
  }
  if (body.length === 0) return body;
  const serializer = scope?.decoder(type) ?? byContentType.get(type);
  if (serializer && serializer !== rawSerializer) {
    let value: unknown;
    try {
      value = serializer.decode(body);
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      if (isStackOverflow(error)) throw depthError(`${type} body`, error);
      throw new DecodeError(`cannot decode ${type} body: ${(error as Error)?.message ?? error}`, { cause: error });
    }
    assertDepth(value, `${type} body`);
    return value;
  }
  const encoding = (contentEncoding || 'utf-8').toLowerCase();
  if (BINARY_ENCODINGS.has(encoding)) return body;
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch (error) {
    throw new DecodeError(`cannot decode ${type} body as ${encoding}`, { cause: error });
  }
}

registerSerializer(jsonSerializer);
registerSerializer(msgpackSerializer);
registerSerializer(yamlSerializer);
registerSerializer(rawSerializer);
registerSerializer(pickleSerializer);
