/** In-memory result backend (Celery's `cache+memory://`); see {@link MemoryBackend}. */
import { KeyValueStoreBackend, type KeyValueStoreBackendOptions } from './key-value.js';

interface Entry {
  value: Buffer;
  /** Epoch ms, or null for never. */
  expiresAt: number | null;
}

const stores = new Map<string, Map<string, Entry>>();

export interface MemoryBackendOptions extends KeyValueStoreBackendOptions {
  /** Name of the shared in-process store. Default: the URL's host part, else `''`. */
  name?: string;
}

/**
 * In-memory result backend (Celery's `cache+memory://`): a key-value store in a Map of this process.
 * For tests and for running an app and its worker in one process.
 *
 * URL: `memory://`, `memory://<name>`, `cache+memory://` or `cache+memory://<name>`. Every backend on
 * the same name in one process shares the stored results, so a worker's backend and a client's
 * backend see each other's writes. Keys expire after `expires` seconds like Redis keys do.
 *
 * Options ({@link MemoryBackendOptions}): `name` (default: the URL's host part, else `''`) plus the
 * key-value and base options. Nothing survives the process. It throws nothing of its own; see
 * {@link Backend} for the errors every backend raises.
 */
export class MemoryBackend extends KeyValueStoreBackend {
  /** The shared store's name. */
  readonly name: string;
  readonly #entries: Map<string, Entry>;

  constructor(options: MemoryBackendOptions = {}) {
    super(options);
    this.name = options.name ?? nameFromUrl(options.url);
    let entries = stores.get(this.name);
    if (!entries) stores.set(this.name, (entries = new Map<string, Entry>()));
    this.#entries = entries;
  }

  /** The registry's factory: `memory://<name>` or `cache+memory://<name>`. */
  static fromUrl(url: string, options: MemoryBackendOptions = {}): MemoryBackend {
    return new MemoryBackend({ ...options, url });
  }

  protected async get(key: string): Promise<Buffer | null> {
    return this.live(key)?.value ?? null;
  }

  protected async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return keys.map((key) => this.live(key)?.value ?? null);
  }

  protected async set(key: string, value: Buffer, ttlSeconds: number | null): Promise<void> {
    this.#entries.set(key, { value, expiresAt: ttlSeconds === null ? null : Date.now() + ttlSeconds * 1000 });
  }

  protected async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  protected override async incr(key: string): Promise<number> {
    const entry = this.live(key);
    const next = (entry ? Number(entry.value.toString('utf8')) || 0 : 0) + 1;
    this.#entries.set(key, { value: Buffer.from(String(next)), expiresAt: entry?.expiresAt ?? null });
    return next;
  }

  /** Drops expired keys (they already read as missing). */
  protected override async _cleanup(): Promise<void> {
    for (const key of [...this.#entries.keys()]) this.live(key);
  }

  protected override wakeScope(): string {
    return `memory:${this.name}`;
  }

  private live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

function nameFromUrl(url: string | undefined): string {
  if (!url) return '';
  const rest = url.slice(url.indexOf('://') + 3);
  return url.includes('://') ? rest.replace(/\/+$/, '') : '';
}
