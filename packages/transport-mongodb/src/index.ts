/**
 * @cq/transport-mongodb — MongoDB as a cq broker, in kombu's MongoDB collections (`messages`,
 * `messages.routing`, `messages.broadcast`, `messages.queues`), so Python Celery and cq share queues.
 * Messages are leased, not deleted, when taken, so a killed worker's messages come back. Pass
 * `mongodbTransport()` in the app's plugins for `mongodb://` and `mongodb+srv://` URLs.
 */
export { transport, MongoTransport, MongoChannel } from './transport.js';
export { mongodbTransport } from './plugin.js';
export { resolveOptions, MONGODB_SCHEMES, type MongoTransportOptions, type ResolvedMongoOptions, type CollectionNames } from './options.js';
export {
  MAX_PRIORITY, storedPriority, messageDocument, broadcastDocument, envelopeOf, topicPattern, routingDocument, queueDocument,
  messageExpiry, argumentExpiry, type MessageDocument, type BroadcastDocument, type RoutingDocument, type QueueDocument, type Lease,
} from './documents.js';
export { MessageStore, type LeasedMessage } from './message-store.js';
export { BroadcastReader } from './fanout.js';
export { MongoExchangeStore, type RoutingTarget } from './exchange-store.js';
export { MongoOptionError, MongoCommandError, toTransportError, isRecoverable } from './errors.js';
