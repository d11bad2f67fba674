/**
 * Amazon DynamoDB result backend: Celery's DynamoDB backend (`celery/backends/dynamodb.py`, alias
 * `dynamodb://`) on the AWS SDK for JavaScript, one item per result, shared with Python Celery.
 *
 * URL: `dynamodb://[key:secret@]region[:port][/table][?read=N&write=N&ttl_seconds=N]` (url.ts);
 * a `localhost` or IP host means a local endpoint, which the `dynamodb_endpoint_url` setting overrides.
 * Table (table.ts): created when missing (hash key `id` S, the URL's capacity), TTL on `ttl` set as
 * the URL's `ttl_seconds` says. Items, exactly Celery's: `id` S = Python's repr of the key bytes
 * (`b'celery-task-meta-<id>'`, see key.ts), `result` B = the result serializer's bytes of the
 * meta, `timestamp` N = write time in epoch seconds, and with `ttl_seconds` ≥ 0 `ttl` N =
 * `int(timestamp + ttl_seconds)`.
 *
 * Expiry is Celery's: DynamoDB's TTL from `ttl_seconds`; `result_expires` is not used (the table
 * expires items, `supportsAutoexpire`). Unlike Python, cq reads an item whose `ttl` has passed as
 * absent, as AWS advises (TTL deletes lag), and it reads with `ConsistentRead`. The table is
 * prepared on first use, not in the constructor.
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KeyValueStoreBackend, type KeyValueStoreBackendOptions } from '@cq/backend';
import { pythonBytesRepr } from './key.js';
import { ATTRIBUTES, ensureTable, ensureTimeToLive } from './table.js';
import { parseDynamoDBUrl, type DynamoDBUrl } from './url.js';

export interface DynamoDBBackendOptions extends KeyValueStoreBackendOptions {
  /** `dynamodb://…` (Celery `result_backend`). Default `dynamodb://`: table `celery`, the SDK's region and credentials. */
  url?: string;
  /** Overrides the `dynamodb_endpoint_url` setting (Celery), which overrides a local endpoint from the URL. */
  endpointUrl?: string;
  /** Handed to the SDK's `DynamoDBClient` over what the URL gives. */
  clientConfig?: DynamoDBClientConfig;
}

/** The result backend on a DynamoDB table (Celery `DynamoDBBackend`). */
export class DynamoDBBackend extends KeyValueStoreBackend {
  /** The SDK client (destroyed by `close()`). */
  readonly client: DynamoDBClient;
  /** What the URL says, with the endpoint in effect (the secret is left out). */
  readonly config: Readonly<Omit<DynamoDBUrl, 'secretAccessKey'>>;
  #ready: Promise<void> | null = null;

  /** @throws DynamoDBUrlError for a URL Celery's DynamoDB backend does not accept. */
  constructor(options: DynamoDBBackendOptions = {}) {
    super(options);
    const parsed = parseDynamoDBUrl(options.url ?? 'dynamodb://');
    const setting = options.settings?.['dynamodb_endpoint_url'];
    const endpoint = options.endpointUrl ?? (typeof setting === 'string' && setting ? setting : parsed.endpoint);
    const { secretAccessKey: _secret, ...rest } = parsed;
    this.config = Object.freeze({ ...rest, endpoint });
    this.client = new DynamoDBClient({
      ...(parsed.region ? { region: parsed.region } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(parsed.accessKeyId && parsed.secretAccessKey
        ? { credentials: { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey } }
        : {}),
      ...options.clientConfig,
    });
  }

  /** The registry's factory: `dynamodb://…`. */
  static fromUrl(url: string, options: DynamoDBBackendOptions = {}): DynamoDBBackend {
    return new DynamoDBBackend({ ...options, url });
  }

  /** The item key of a Celery key: `b'<key>'` (see key.ts). */
  itemId(key: string): string {
    return pythonBytesRepr(key);
  }

  /** Creates the table and sets its TTL once; a failure is retried on the next use. */
  private ready(): Promise<void> {
    this.#ready ??= (async () => {
      const { tableName, timeToLiveSeconds } = this.config;
      await ensureTable(this.client, this.config);
      if (timeToLiveSeconds !== null) await ensureTimeToLive(this.client, tableName, timeToLiveSeconds >= 0);
    })().catch((err: unknown) => {
      this.#ready = null;
      throw err;
    });
    return this.#ready;
  }

  private keyOf(key: string): Record<string, AttributeValue> {
    return { [ATTRIBUTES.key]: { S: this.itemId(key) } };
  }

  protected async get(key: string): Promise<Buffer | null> {
    await this.ready();
    const { Item: item } = await this.client.send(new GetItemCommand({ TableName: this.config.tableName, Key: this.keyOf(key), ConsistentRead: true }));
    const ttl = item?.[ATTRIBUTES.ttl]?.N;
    if (!item || (ttl !== undefined && Number(ttl) < Date.now() / 1000)) return null;
    const value = item[ATTRIBUTES.value]?.B;
    return value ? Buffer.from(value) : null;
  }

  protected async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  /** Celery's `_prepare_put_request`; `_ttlSeconds` (`result_expires`) is not used, `ttl_seconds` is. */
  protected async set(key: string, value: Buffer, _ttlSeconds: number | null): Promise<void> {
    await this.ready();
    const now = Date.now() / 1000;
    const ttl = this.config.timeToLiveSeconds;
    await this.client.send(new PutItemCommand({
      TableName: this.config.tableName,
      Item: {
        ...this.keyOf(key),
        [ATTRIBUTES.value]: { B: value },
        [ATTRIBUTES.timestamp]: { N: String(now) },
        ...(ttl !== null && ttl >= 0 ? { [ATTRIBUTES.ttl]: { N: String(Math.floor(now + ttl)) } } : {}),
      },
    }));
  }

  protected async delete(key: string): Promise<void> {
    await this.ready();
    await this.client.send(new DeleteItemCommand({ TableName: this.config.tableName, Key: this.keyOf(key) }));
  }

  protected override async _close(): Promise<void> {
    this.client.destroy();
  }
}
