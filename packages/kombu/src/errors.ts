/**
 * Errors raised by @cq/kombu. Every class has a stable `code` and keeps the original `cause`.
 *
 * ```
 * KombuError                         CQ_KOMBU
 * ├── SerializationError             CQ_KOMBU_SERIALIZATION
 * │   ├── ContentDisallowedError     CQ_KOMBU_CONTENT_DISALLOWED   content type not in `accept`
 * │   ├── EncodeError                CQ_KOMBU_ENCODE               value cannot be serialized
 * │   ├── DecodeError                CQ_KOMBU_DECODE               body cannot be deserialized
 * │   └── CompressionError           CQ_KOMBU_COMPRESSION          unknown method or corrupt data
 * ├── ConfigurationError             CQ_KOMBU_CONFIGURATION        bad URL or option (names the fix)
 * │   └── TransportNotFoundError     CQ_KOMBU_TRANSPORT_NOT_FOUND  unknown alias or missing package
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
  override readonly code = 'CQ_KOMBU_DECODE';
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
