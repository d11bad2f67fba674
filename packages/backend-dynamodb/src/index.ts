/**
 * @cq/backend-dynamodb — Celery's DynamoDB result backend for cq (`dynamodb://`): Celery's table and
 * items (`id`, `result`, `timestamp`, `ttl`), read and written as Python Celery's `DynamoDBBackend`
 * does. Pass `dynamodbBackend()` in the app's plugins; the default export is the backend class.
 */
import { DynamoDBBackend } from './dynamodb-backend.js';

export default DynamoDBBackend;
export { DynamoDBBackend, type DynamoDBBackendOptions } from './dynamodb-backend.js';
export { parseDynamoDBUrl, type DynamoDBUrl } from './url.js';
export { pythonBytesRepr } from './key.js';
export { ATTRIBUTES, ensureTable, ensureTimeToLive, type TableSpec } from './table.js';
export { dynamodbBackend } from './plugin.js';
export { DynamoDBUrlError, DynamoDBTableError } from './errors.js';
