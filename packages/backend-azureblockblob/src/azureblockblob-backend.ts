/**
 * Azure Block Blob result backend (Celery `celery/backends/azureblockblob.py`
 * `AzureBlockBlobBackend`), on @azure/storage-blob v12.
 *
 * URL: `azureblockblob://<connection string>`, e.g. `azureblockblob://DefaultEndpointsProtocol=https;
 * AccountName=acct;AccountKey=…;EndpointSuffix=core.windows.net` (or `UseDevelopmentStorage=true`).
 * Settings (Celery's names, see settings.ts): `azureblockblob_container_name` (default `celery`),
 * `azureblockblob_base_path` (default `''`), `azureblockblob_connection_timeout` (s, 20),
 * `azureblockblob_read_timeout` (s, 120); `result_backend_transport_options.global_keyprefix`.
 *
 * Stored as Celery stores it: one block blob per key, named `<base_path><key>` in the container
 * (`celery-task-meta-<id>`, `celery-taskset-meta-<id>`), holding the result serializer's bytes of
 * the meta (Put Blob, overwriting, no content type or metadata set). The container is created on
 * first use when missing. Beyond Celery: a missing blob deletes quietly (Celery raises), reads of
 * several keys run in parallel, and `cleanup()` deletes result blobs whose Last-Modified is older
 * than `result_expires` (Celery stores no expiry and its cleanup does nothing).
 */
import { KeyValueStoreBackend } from '@cq/backend';
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { AzureBlockBlobUrlError } from './errors.js';
import { azureBlockBlobSettings, globalKeyPrefix, type AzureBlockBlobSettingOptions } from './settings.js';
import { connectionStringOf, maskConnectionString } from './url.js';

export interface AzureBlockBlobBackendOptions extends AzureBlockBlobSettingOptions {
  /** `azureblockblob://<connection string>` (Celery `result_backend`). Required. */
  url?: string;
  /**
   * @azure/storage-blob pipeline options (retries, proxy, keep-alive), over what cq derives:
   * `retryOptions.tryTimeoutInMs` = (connection + read timeout) × 1000.
   */
  storage?: StoragePipelineOptions;
}

/**
 * Azure Block Blob result backend, sharing blobs with Python Celery's `AzureBlockBlobBackend`
 * (see the module doc for names and contents).
 *
 * ```ts
 * const backend = AzureBlockBlobBackend.fromUrl('azureblockblob://UseDevelopmentStorage=true', { containerName: 'results' });
 * await backend.markAsDone(taskId, 42);   // blob results/celery-task-meta-<taskId> = {"status": "SUCCESS", ...}
 * ```
 *
 * `url` (kept masked: `AccountKey=**`), `containerName`, `basePath`, `connectionTimeout` and
 * `readTimeout` (seconds) override the Celery settings of the same meaning; `storage` passes SDK
 * options. The SDK has no separate connect and read timeouts, so one try of a request is bounded by
 * their sum. Errors: the constructor throws `AzureBlockBlobUrlError` for a bad URL or connection
 * string (the key never shown); Azure failures are `BackendStoreError` / `BackendGetMetaError`
 * with the SDK's error as `cause`.
 */
export class AzureBlockBlobBackend extends KeyValueStoreBackend {
  readonly containerName: string;
  readonly basePath: string;
  /** Seconds (Celery `azureblockblob_connection_timeout`). */
  readonly connectionTimeout: number;
  /** Seconds (Celery `azureblockblob_read_timeout`). */
  readonly readTimeout: number;
  readonly #service: BlobServiceClient;
  #container: Promise<ContainerClient> | null = null;

  /** @throws AzureBlockBlobUrlError for a URL that is not `azureblockblob://<connection string>` the SDK accepts. */
  constructor(options: AzureBlockBlobBackendOptions = {}) {
    const connectionString = connectionStringOf(options.url ?? '');
    super({ ...options, url: maskConnectionString(options.url ?? ''), keyPrefix: options.keyPrefix ?? globalKeyPrefix(options.settings) });
    const settings = azureBlockBlobSettings(options);
    this.containerName = settings.azureblockblob_container_name;
    this.basePath = settings.azureblockblob_base_path;
    this.connectionTimeout = settings.azureblockblob_connection_timeout;
    this.readTimeout = settings.azureblockblob_read_timeout;
    const tryTimeoutInMs = (this.connectionTimeout + this.readTimeout) * 1000;
    try {
      this.#service = BlobServiceClient.fromConnectionString(connectionString, {
        ...options.storage,
        retryOptions: { tryTimeoutInMs, ...options.storage?.retryOptions },
      });
    } catch (err) {
      // The SDK's messages name the part that is wrong, never its value; mask anyway.
      throw new AzureBlockBlobUrlError(`the azureblockblob:// connection string is not valid: ${maskConnectionString((err as Error).message)}`);
    }
  }

  /** The registry's factory: `azureblockblob://<connection string>` (Celery `result_backend`). */
  static fromUrl(url: string, options: AzureBlockBlobBackendOptions = {}): AzureBlockBlobBackend {
    return new AzureBlockBlobBackend({ ...options, url });
  }

  /** False: blobs do not expire, so beat runs `celery.backend_cleanup`, which calls {@link cleanup}. */
  override get supportsAutoexpire(): boolean {
    return false;
  }

  /** The blob's name for a key: `<base_path><key>` (Celery `f'{self.base_path}{key}'`). */
  blobName(key: string): string {
    return this.basePath + key;
  }

  protected async get(key: string): Promise<Buffer | null> {
    const blob = (await this.container()).getBlobClient(this.blobName(key));
    try {
      const response = await blob.download();
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  protected mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  /** Put Blob, overwriting (Celery `upload_blob(value, overwrite=True)`); `ttlSeconds` is not stored (see cleanup). */
  protected async set(key: string, value: Buffer, _ttlSeconds: number | null): Promise<void> {
    await (await this.container()).getBlockBlobClient(this.blobName(key)).upload(value, value.length);
  }

  protected async delete(key: string): Promise<void> {
    await (await this.container()).getBlobClient(this.blobName(key)).deleteIfExists();
  }

  /**
   * Deletes the task and group blobs under the base path whose Last-Modified (one-second
   * resolution, the service's clock) is more than `expires` seconds ago. A blob rewritten meanwhile
   * is kept (the delete is conditional on its Last-Modified).
   */
  protected override async _cleanup(): Promise<void> {
    if (this.expires === null) return;
    const container = await this.container();
    const cutoff = Date.now() - this.expires * 1000;
    for (const prefix of [this.taskKeyPrefix, this.groupKeyPrefix]) {
      for await (const item of container.listBlobsFlat({ prefix: this.blobName(prefix) })) {
        const modified = item.properties.lastModified;
        if (modified.getTime() >= cutoff) continue;
        await container.getBlobClient(item.name).deleteIfExists({ conditions: { ifUnmodifiedSince: modified } }).catch((err: unknown) => {
          if ((err as { statusCode?: number }).statusCode !== 412) throw err;
        });
      }
    }
  }

  /** Backends on one account, container and base path wake each other's waiters in this process. */
  protected override wakeScope(): string {
    return `azureblockblob:${this.#service.url}#${this.containerName}/${this.basePath}`;
  }

  /** The container client, the container created first when missing (Celery `_blob_service_client`); retried after a failure. */
  private container(): Promise<ContainerClient> {
    if (!this.#container) {
      const client = this.#service.getContainerClient(this.containerName);
      this.#container = client.createIfNotExists().then(() => client);
      this.#container.catch(() => { this.#container = null; });
    }
    return this.#container;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number } | null)?.statusCode === 404;
}
