/**
 * The app plugin of @cq/backend-s3: registers S3Backend for `s3://` result backend URLs in the
 * app's registry; the backend reads its `s3_*` settings from the app's conf.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * import { s3Backend } from '@cq/backend-s3';
 * const app = new Celery('proj', { result_backend: 's3://', s3_bucket: 'results' }, { plugins: [s3Backend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { S3Backend } from './s3-backend.js';

/** The plugin to pass in the app's `plugins` so `s3://` result backend URLs resolve. */
export function s3Backend(): BackendPlugin {
  return backendPlugin('@cq/backend-s3', ['s3'], S3Backend);
}
