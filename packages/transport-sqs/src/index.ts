/**
 * @cq/transport-sqs — Amazon SQS as a cq broker, wire-compatible with kombu's SQS transport (queue
 * names, message bodies, FIFO groups), so Python Celery and cq share queues. Pass `sqsTransport()`
 * in the app's plugins for `sqs://` URLs.
 */
export { sqsTransport } from './plugin.js';
export { transport, SqsTransport } from './transport.js';
export { SqsChannel } from './channel.js';
export { resolveOptions, type SqsTransportOptions, type SqsSettings, type PredefinedQueue } from './options.js';
export { entityName, canonicalQueueName, isFifoName } from './names.js';
export { encodeBody, decodeBody } from './body.js';
export { sendMessageInput, etaDelaySeconds, MAX_DELAY_SECONDS } from './publish.js';
export { SqsRequestError, SqsUndefinedQueueError, toTransportError, isRecoverable } from './errors.js';
