/**
 * Celery task message protocol (v2 encode, v1/v2/hybrid decode, Python reprs). Pure functions
 * on plain objects: serialization and compression belong to the Producer/Consumer.
 * See spec/protocol.md.
 */
export { buildTaskMessage, isTaskMessage, defaultOrigin } from './v2.js';
export { decodeTaskMessage } from './decode.js';
export { pythonRepr } from './repr.js';
export { safeRepr, argsRepr, kwargsRepr, REPR_MAX_LENGTH, REPR_MAX_LEVELS } from './saferepr.js';
export { ProtocolError, InvalidTaskError, InvalidTaskOptionsError, type ProtocolErrorOptions } from '../errors.js';
export type {
  BuildTaskOptions, SignatureDict, TaskBody, TaskEmbed, TaskHeaders, TaskMessageParts, TaskProperties,
  TaskRequestFields,
} from './types.js';
