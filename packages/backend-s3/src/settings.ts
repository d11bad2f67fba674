/**
 * The S3 backend's slice of Celery's settings (`celery/app/defaults.py`, `s3_*`; docs "S3 backend
 * settings"), read from the `settings` the app gives a backend (its `conf`), options overriding them.
 * Celery reads nothing from the `s3://` URL itself: everything is here.
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { KeyValueStoreBackendOptions } from '@cq/backend';

export interface S3Settings {
  /** Celery `s3_access_key_id`. Default null: the AWS SDK's credential chain (env, profile, role). */
  s3_access_key_id: string | null;
  /** Celery `s3_secret_access_key`. Default null (see `s3_access_key_id`). */
  s3_secret_access_key: string | null;
  /** Celery `s3_bucket`: the bucket results are stored in (it must exist). Required. */
  s3_bucket: string | null;
  /** Celery `s3_base_path`: put verbatim before every key (`'results/'` → `results/celery-task-meta-<id>`). Default null. */
  s3_base_path: string | null;
  /** Celery `s3_endpoint_url`: an S3-compatible endpoint (MinIO, an emulator). Default null: AWS. */
  s3_endpoint_url: string | null;
  /** Celery `s3_region`. Default null: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1` (boto3's S3 default). */
  s3_region: string | null;
}

/** Options of the S3 backend: those of every key-value backend, plus the settings in camelCase. */
export interface S3BackendOptions extends KeyValueStoreBackendOptions {
  /** Overrides `s3_access_key_id`. */
  accessKeyId?: string;
  /** Overrides `s3_secret_access_key`. */
  secretAccessKey?: string;
  /** Overrides `s3_bucket`. */
  bucket?: string;
  /** Overrides `s3_base_path`. */
  basePath?: string;
  /** Overrides `s3_endpoint_url`. */
  endpointUrl?: string;
  /** Overrides `s3_region`. */
  region?: string;
  /** Handed to the SDK's `S3Client` over what the settings give. */
  clientConfig?: S3ClientConfig;
}

/** The settings in effect: options first, then the app's settings, then Celery's defaults (null). */
export function s3Settings(options: S3BackendOptions = {}): S3Settings {
  const conf = options.settings ?? {};
  const text = (option: string | undefined, name: keyof S3Settings): string | null => {
    const value = option ?? conf[name];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  return {
    s3_access_key_id: text(options.accessKeyId, 's3_access_key_id'),
    s3_secret_access_key: text(options.secretAccessKey, 's3_secret_access_key'),
    s3_bucket: text(options.bucket, 's3_bucket'),
    s3_base_path: text(options.basePath, 's3_base_path'),
    s3_endpoint_url: text(options.endpointUrl, 's3_endpoint_url'),
    s3_region: text(options.region, 's3_region'),
  };
}
