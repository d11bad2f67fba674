/**
 * @cq/kombu — messaging for cq: connections, entities, producers, consumers, serializers,
 * compression, and the transport interface with its virtual base. Mirrors Python's kombu.
 */
export { Connection, type ConnectionOptions } from './connection.js';
export { Exchange, Queue, Binding, binding, type ExchangeOptions, type QueueOptions } from './entity.js';
export { Producer, maybeDeclare, type ProducerOptions, type PublishOptions, type RetryPolicy } from './producer.js';
export { Consumer, type ConsumerOptions, type MessageCallback } from './consumer.js';
export { Message, type MessageState } from './message.js';

export {
  dumps, loads, registerSerializer, getSerializer, prepareAccept, kombuJson, SerializerScope, type Serializer,
  authSerializer, digestName, Certificate, CertStore, type AuthFormat, type AuthSerializer, type AuthSerializerOptions,
} from './serialization/index.js';
export { formatPythonIsoDate, parseIsoDate } from './serialization/isodate.js';
export { compress, decompress, registerCompressor, type Compressor } from './compression.js';
export { DEFAULT_MAX_BODY_SIZE, MAX_DECODED_DEPTH, MAX_YAML_DEPTH, exceedsDepth } from './serialization/limits.js';
export { LamportClock } from './clocks.js';

export type {
  Transport, TransportDefinition, TransportCapabilities, Channel, RawMessage, Delivery, DeliveryInfo,
  DeliveryCallback, ConsumeOptions, MessageProperties, ExchangeDeclaration, QueueDeclaration,
  BindingDeclaration, ExchangeType, BrokerUrl, LeaseLock, LeaseLockProvider, TransactionClient, TransactionalPublisher,
  Awaitable, ScheduleEntryState, ScheduleStore, ScheduleStoreProvider, BrokerSsl, TransportConnectionInfo,
  NativeDelayedDelivery, QueueType,
} from './transport/types.js';
export { isLeaseLockProvider, isTransactionalPublisher, isScheduleStoreProvider, isNativeDelayedDelivery } from './transport/types.js';
export { parseUrl, redact, redactUrls } from './transport/url.js';
export { checkFailoverStrategy, nextFailoverIndex, splitBrokerUrls, type FailoverStrategy } from './transport/failover.js';
export { tlsFailure, certReqs, type CertReqs, type TlsSettingNames } from './transport/tls.js';
export { closestName } from './utils/closest.js';
export { fnmatch } from './utils/fnmatch.js';
export { TransportRegistry, type TransportLoader } from './transport/registry.js';
export { transportPlugin, type TransportPlugin, type TransportHost } from './transport/plugin.js';
export { VirtualTransport, VirtualChannel, type TakenMessage, type VirtualTransportOptions } from './transport/virtual/base.js';
export { toEnvelope, fromEnvelope, markRedelivered, parseEnvelope, checkEnvelope, type Envelope } from './transport/virtual/envelope.js';
export {
  DEFAULT_ETA_HORIZON, etaOf, isEtaParkingChannel, parkUntil, resolveEtaParking, type EtaParking, type EtaParkingChannel,
} from './transport/eta-parking.js';
export {
  DEDUPLICATION_KEY_PREFIX, isDeduplicatorProvider, type DeduplicationRecord, type Deduplicator, type DeduplicatorProvider, type ReleaseOutcome,
} from './transport/deduplication.js';
export { MemoryDeduplicator } from './transport/memory-deduplicator.js';
export { isInvalidMessageSink, reportInvalidMessage, type InvalidMessageReport, type InvalidMessageSink } from './transport/invalid-messages.js';
export { MemoryExchangeStore, route, topicMatches, type ExchangeStore, type StoredBinding } from './transport/virtual/exchange.js';
export { MemoryTransport, memoryTransport, type MemoryTransportOptions } from './transport/memory.js';

export {
  KombuError, SerializationError, ContentDisallowedError, EncodeError, DecodeError, SecurityError, DecodeLimitError, CompressionError,
  ConfigurationError, TransportNotFoundError, MessageStateError, TransportError, ConnectionError,
  ChannelError, NotFoundError, OperationalError, TlsError, AuthenticationError, type TlsFailureReason,
  type KombuErrorOptions, type TransportErrorOptions,
} from './errors.js';
