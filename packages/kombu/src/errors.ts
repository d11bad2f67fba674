/**
 * Errors raised by @cq/kombu. Every class has a stable `code` and keeps the original `cause`.
 *
 * ```
 * KombuError                         CQ_KOMBU
 * ├── SerializationError             CQ_KOMBU_SERIALIZATION
 * │   ├── ContentDisallowedError     CQ_KOMBU_CONTENT_DISALLOWED   content type not in `accept`
 * │   ├── EncodeError                CQ_KOMBU_ENCODE               value cannot be serialized
 * │   ├── DecodeError                CQ_KOMBU_DECODE               body cannot be deserialized
 * │   │   ├── SecurityError          CQ_KOMBU_SECURITY             signed body refused (bad signature, unknown/expired signer)
 * │   │   └── DecodeLimitError       CQ_KOMBU_DECODE_LIMIT         body refused: too large (also once decompressed),
 * │   │                                                            nested too deep, or cyclic (see serialization/limits.ts)
 * │   └── CompressionError           CQ_KOMBU_COMPRESSION          unknown method or corrupt data
 * ├── ConfigurationError             CQ_KOMBU_CONFIGURATION        bad URL or option (names the fix)
 * │   ├── TransportNotFoundError     CQ_KOMBU_TRANSPORT_NOT_FOUND  unknown alias or missing package
 * │   ├── TlsError                   CQ_KOMBU_TLS                  the TLS handshake failed: untrusted server
 * │   │                                                            certificate, missing or refused client
 * │   │                                                            certificate, ... (`setting` names the fix)
 * │   └── AuthenticationError        CQ_KOMBU_AUTHENTICATION       the server refused the user, password or vhost
 * ├── MessageStateError              CQ_KOMBU_MESSAGE_STATE        acked/rejected twice
 * └── TransportError                 CQ_KOMBU_TRANSPORT            broker-level failure; `recoverable`
 *     ├── ConnectionError            CQ_KOMBU_CONNECTION           connection lost/refused (recoverable)
 *     ├── ChannelError               CQ_KOMBU_CHANNEL              channel-level failure
 *     │   └── NotFoundError          CQ_KOMBU_NOT_FOUND            queue or exchange does not exist
 *     └── OperationalError           CQ_KOMBU_OPERATIONAL          e.g. using a closed channel
 * ```
 */

export interface KombuErrorOptions {
  cause?: unknown;
}

export class KombuError extends Error {
  readonly code: string = 'CQ_KOMBU';
  constructor(message: string, options: KombuErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

export class SerializationError extends KombuError {
  override readonly code: string = 'CQ_KOMBU_SERIALIZATION';
}

/** The content type of a received message is not in the consumer's `accept` list (kombu `ContentDisallowed`). */
export class ContentDisallowedError extends SerializationError {
  override readonly code = 'CQ_KOMBU_CONTENT_DISALLOWED';
}

/** A value could not be serialized (kombu `EncodeError`). */
export class EncodeError extends SerializationError {
  override readonly code = 'CQ_KOMBU_ENCODE';
}

/** A message body could not be deserialized (kombu `DecodeError`). */
export class DecodeError extends SerializationError {
  override readonly code: string = 'CQ_KOMBU_DECODE';
}

/**
 * A signed (`auth`) body was refused before anything in it was decoded: malformed, unknown signer,
 * signer certificate expired or not yet valid, or a signature that does not match (Celery
 * `celery.exceptions.SecurityError`). Also thrown for unusable keys and certificates at set-up.
 */
export class SecurityError extends DecodeError {
  override readonly code = 'CQ_KOMBU_SECURITY';
}

/**
 * A received body was refused before or while it was decoded because it broke a limit (cq; kombu has
 * none): `size` — more than `limit` bytes as received or once decompressed (a compression bomb stops
 * at the limit); `depth` — containers nested more than `limit` deep (a cyclic value counts as too deep).
 */
export class DecodeLimitError extends DecodeError {
  override readonly code = 'CQ_KOMBU_DECODE_LIMIT';
  constructor(message: string, readonly limit: 'size' | 'depth', readonly max: number, options: KombuErrorOptions = {}) {
    super(message, options);
  }
}

/** Unknown compression method, or a body that does not decompress. */
export class CompressionError extends SerializationError {
  override readonly code = 'CQ_KOMBU_COMPRESSION';
}

/** A bad URL or option. The message always names the fix. */
export class ConfigurationError extends KombuError {
  override readonly code: string = 'CQ_KOMBU_CONFIGURATION';
}

/** A transport alias is unknown, or the package that implements it is not installed. */
export class TransportNotFoundError extends ConfigurationError {
  override readonly code = 'CQ_KOMBU_TRANSPORT_NOT_FOUND';
}

/** Why a TLS handshake failed (see `transport/tls.ts`, which classifies Node's TLS errors). */
export type TlsFailureReason =
  | 'untrusted-certificate' | 'hostname-mismatch' | 'certificate-expired' | 'client-certificate-required'
  | 'client-certificate-refused' | 'not-tls' | 'bad-certificate-file' | 'handshake-failed';

/**
 * The TLS handshake with a broker or result store failed for a reason another attempt cannot fix (a
 * wrong CA, a missing client certificate, a host name the certificate does not list). Never retried:
 * it is a ConfigurationError, not a recoverable TransportError. `setting` names what to change, e.g.
 * `broker_use_ssl.ca_certs`; `cause` is Node's TLS error.
 */
export class TlsError extends ConfigurationError {
  override readonly code = 'CQ_KOMBU_TLS';
  constructor(message: string, readonly reason: TlsFailureReason, readonly setting: string, options: KombuErrorOptions = {}) {
    super(message, options);
  }
}

/**
 * The server refused the credentials (Redis WRONGPASS/NOAUTH, AMQP 403 ACCESS_REFUSED at login) or
 * the virtual host (AMQP 530). Never retried. `user` is the user name tried (null: none given);
 * `setting` names where to fix it, e.g. `broker_url`. The message never shows the password.
 */
export class AuthenticationError extends ConfigurationError {
  override readonly code = 'CQ_KOMBU_AUTHENTICATION';
  constructor(message: string, readonly user: string | null, readonly setting: string, options: KombuErrorOptions = {}) {
    super(message, options);
  }
}

export interface TransportErrorOptions extends KombuErrorOptions {
  /** True when retrying on a new connection may succeed (kombu `recoverable_connection_errors`). */
  recoverable?: boolean;
}

export class TransportError extends KombuError {
  override readonly code: string = 'CQ_KOMBU_TRANSPORT';
  readonly recoverable: boolean;
  constructor(message: string, options: TransportErrorOptions = {}) {
    super(message, options);
    this.recoverable = options.recoverable ?? false;
  }
}

/** The connection to the broker was lost or refused. Recoverable by default. */
export class ConnectionError extends TransportError {
  override readonly code = 'CQ_KOMBU_CONNECTION';
  constructor(message: string, options: TransportErrorOptions = {}) {
    super(message, { recoverable: true, ...options });
  }
}

export class ChannelError extends TransportError {
  override readonly code: string = 'CQ_KOMBU_CHANNEL';
}

/** A queue or exchange that must exist does not. */
export class NotFoundError extends ChannelError {
  override readonly code = 'CQ_KOMBU_NOT_FOUND';
}

/** An operation on something already closed, or otherwise out of order. */
export class OperationalError extends TransportError {
  override readonly code = 'CQ_KOMBU_OPERATIONAL';
}

/** A message was acknowledged, rejected or requeued twice (kombu `MessageStateError`). */
export class MessageStateError extends KombuError {
  override readonly code = 'CQ_KOMBU_MESSAGE_STATE';
}
