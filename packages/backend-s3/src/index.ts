/**
 * @cq/backend-s3 — Celery's S3 result backend for cq (`s3://`): one object per result under
 * `s3_base_path`, the bytes Python Celery's `S3Backend` writes and reads. Pass `s3Backend()` in the
 * app's plugins; the default export is the backend class.
 */
import { S3Backend } from './s3-backend.js';

export default S3Backend;
export { S3Backend } from './s3-backend.js';
export { s3Settings, type S3Settings, type S3BackendOptions } from './settings.js';
export { s3Backend } from './plugin.js';
export { S3ConfigurationError } from './errors.js';
