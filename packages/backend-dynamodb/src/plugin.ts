/**
 * The app plugin of @cq/backend-dynamodb: registers DynamoDBBackend for `dynamodb://` result backend
 * URLs in the app's registry.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * import { dynamodbBackend } from '@cq/backend-dynamodb';
 * const app = new Celery('proj', { result_backend: 'dynamodb://@us-east-1/celery' }, { plugins: [dynamodbBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { DynamoDBBackend } from './dynamodb-backend.js';

/** The plugin to pass in the app's `plugins` so `dynamodb://` result backend URLs resolve. */
export function dynamodbBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-dynamodb', ['dynamodb'], DynamoDBBackend);
}
