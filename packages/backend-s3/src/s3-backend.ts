/**
 * Amazon S3 result backend: Celery's S3 backend (`celery/backends/s3.py`, alias `s3://`) on the
 * AWS SDK for JavaScript, one object per result, shared with Python Celery.
 *
 * URL: `s3://` (Celery reads nothing else from it). Settings (`settings.ts`): `s3_bucket`
 * (required, must exist), `s3_base_path`, `s3_access_key_id` / `s3_secret_access_key`,
 * `s3_endpoint_url`, `s3_region`.
 * Storage: the object `<s3_base_path><celery-task-meta-<id>>` (groups `celery-taskset-meta-<id>`)
 * holds the result serializer's bytes of the meta, exactly what Python's `S3Backend.set` puts.
 * S3 has no per-object expiry: as in Celery, results are kept (`supportsAutoexpire` is false, so
 * beat runs `celery.backend_cleanup`); unlike Celery, whose cleanup does nothing here, `cleanup()`
 * deletes the result objects under the base path last modified more than `expires` seconds ago.
 * With `s3_endpoint_url`, requests are path-style (`<endpoint>/<bucket>/<key>`), which
 * S3-compatible stores and emulators expect; botocore does the same for an IP-address endpoint.
 */
import {
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { KeyValueStoreBackend } from '@cq/backend';
import { S3ConfigurationError } from './errors.js';
import { s3Settings, type S3BackendOptions, type S3Settings } from './settings.js';

/** The result backend on an S3 bucket (Celery `S3Backend`). */
export class S3Backend extends KeyValueStoreBackend {
  /** The SDK client (destroyed by `close()`). */
  readonly client: S3Client;
  readonly bucket: string;
  /** Put before every key, verbatim (Celery `s3_base_path`); `''` when none. */
  readonly basePath: string;
  /** The settings in effect. */
  readonly s3: Readonly<S3Settings>;

  /** @throws S3ConfigurationError without `s3_bucket`, or with only one of the two credentials. */
  constructor(options: S3BackendOptions = {}) {
    super(options);
    const s3 = s3Settings(options);
    if (!s3.s3_bucket) {
      throw new S3ConfigurationError('the S3 result backend needs a bucket: set s3_bucket (the bucket must exist)');
    }
    if ((s3.s3_access_key_id === null) !== (s3.s3_secret_access_key === null)) {
      throw new S3ConfigurationError('set both s3_access_key_id and s3_secret_access_key, or neither (the AWS credential chain is used then)');
    }
    this.s3 = Object.freeze(s3);
    this.bucket = s3.s3_bucket;
    this.basePath = s3.s3_base_path ?? '';
    this.client = new S3Client({
      region: s3.s3_region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
      ...(s3.s3_endpoint_url ? { endpoint: s3.s3_endpoint_url, forcePathStyle: true } : {}),
      ...(s3.s3_access_key_id && s3.s3_secret_access_key
        ? { credentials: { accessKeyId: s3.s3_access_key_id, secretAccessKey: s3.s3_secret_access_key } }
        : {}),
      ...options.clientConfig,
    });
  }

  /** The registry's factory: `s3://` (the URL carries nothing; settings come with `options.settings`). */
  static fromUrl(url: string, options: S3BackendOptions = {}): S3Backend {
    return new S3Backend({ ...options, url });
  }

  /** S3 does not expire objects by itself (Celery: `supports_autoexpire` false). */
  override get supportsAutoexpire(): boolean {
    return false;
  }

  /** The object key of a Celery key (Celery `_get_s3_object`). */
  objectKey(key: string): string {
    return this.basePath + key;
  }

  protected async get(key: string): Promise<Buffer | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      // Only a missing key reads as absent: a missing bucket is an error, not PENDING forever.
      if ((err as { name?: string }).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  protected async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  /** Celery's `set` puts the bytes with no expiry (`_ttlSeconds` is ignored: see `cleanup`). */
  protected async set(key: string, value: Buffer, _ttlSeconds: number | null): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: value }));
  }

  protected async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /** Deletes task and group results last modified more than `expires` seconds ago (nothing when null). */
  protected override async _cleanup(): Promise<void> {
    if (this.expires === null) return;
    const before = Date.now() - this.expires * 1000;
    for (const prefix of [this.taskKeyPrefix, this.groupKeyPrefix]) {
      let token: string | undefined;
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.objectKey(prefix), ContinuationToken: token }));
        const old = (page.Contents ?? []).filter((o) => o.Key && o.LastModified && o.LastModified.getTime() < before);
        if (old.length > 0) {
          await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: old.map((o) => ({ Key: o.Key })), Quiet: true } }));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
  }

  protected override async _close(): Promise<void> {
    this.client.destroy();
  }
}
