/**
 * The memcached result backend (Celery's cache backend, `celery/backends/cache.py` `CacheBackend`
 * with pylibmc); see {@link MemcachedBackend}.
 *
 * Features: Celery's keys (`celery-task-meta-<id>`, `celery-taskset-meta-<id>`, `chord-unlock-<id>`)
 * and values (the result serializer's bytes, with pylibmc's item flags), `result_expires` as the
 * memcached TTL, several servers with libmemcached's key placement, `incr` for counters.
 * Connection string: `cache+memcached://host:port/`, servers separated by `;` (see url.ts).
 * Options: {@link MemcachedBackendOptions}; Celery's `cache_backend_options` (see client.ts).
 */
import type memjs from 'memjs';
import {
  BackendError, BackendStoreError, KeyValueStoreBackend, type ChordPart, type ChordPartRequest, type KeyValueStoreBackendOptions, type State,
} from '@cq/backend';
import { createClient, memcachedExptime, type CacheBackendOptions } from './client.js';
import { flagsFor, itemBytes, readFlags } from './pylibmc.js';
import { cacheUrl, parseMemcachedServers, type MemcachedServer } from './url.js';

/** The URL used when none is given: one memcached on this machine. */
export const DEFAULT_MEMCACHED_URL = 'cache+memcached://127.0.0.1:11211/';

export interface MemcachedBackendOptions extends KeyValueStoreBackendOptions {
  /**
   * pylibmc's client options (Celery `cache_backend_options`), merged over the app's
   * `cache_backend_options` setting as Celery merges them. Default `{}`.
   */
  cacheOptions?: CacheBackendOptions;
}

/**
 * Celery's memcached result backend: results are memcached items under the keys Python Celery uses,
 * holding the same bytes and the same item flags pylibmc writes (16 for JSON text), so a Python
 * client reads what a cq worker stored and the reverse, on one server or several.
 *
 * ```ts
 * const backend = new MemcachedBackend({ url: 'cache+memcached://127.0.0.1:11211/', expires: 3600 });
 * await backend.markAsDone(taskId, { sum: 5 });                   // GET, then SET with a 3600 s TTL
 * const meta = await backend.waitFor(taskId, { timeout: 10 });    // polls; seconds
 * ```
 *
 * URL (Celery `result_backend`): `cache+memcached://host[:port][;host[:port]…]/`, also
 * `cache+memcache://`, `cache+pylibmc://`, or `cache` with the servers in the `cache_backend`
 * setting. Default {@link DEFAULT_MEMCACHED_URL}. `expires` (seconds, Celery `result_expires`,
 * default 1 day) is the items' TTL, rounded up to whole seconds; TTLs past memcached's 30-day limit
 * are written as unix times, so they work (Celery's do not). `null` keeps items until memcached
 * evicts them. A stored SUCCESS is not overwritten (read, then write, as Celery: two round trips).
 * Waiting polls, as with Python's cache backend. Chords a Python client starts are joined Celery's
 * way ({@link onChordPartReturn}), whichever side started them ({@link applyChord}).
 *
 * Errors: MemcachedUrlError / MemcachedOptionsError (configuration, from the constructor);
 * BackendStoreError / BackendGetMetaError wrapping memjs's errors (server down, timeout, an item
 * over memcached's size limit, 1 MB by default); MemcachedValueError for an item pylibmc pickled.
 */
export class MemcachedBackend extends KeyValueStoreBackend {
  /** The servers, in placement order. */
  readonly servers: readonly MemcachedServer[];
  readonly #client: memjs.Client;

  /** @throws MemcachedUrlError for a bad URL; MemcachedOptionsError for unsupported `cache_backend_options`. */
  constructor(options: MemcachedBackendOptions = {}) {
    super(options);
    const settings = options.settings ?? {};
    this.servers = parseMemcachedServers(cacheUrl(options.url ?? DEFAULT_MEMCACHED_URL, settings['cache_backend']));
    const fromSettings = (settings['cache_backend_options'] ?? {}) as CacheBackendOptions;
    this.#client = createClient(this.servers, flagsFor(this.contentEncoding), { ...fromSettings, ...options.cacheOptions });
  }

  /** The registry's factory: the whole URL (`cache+memcached://…` or `cache`). */
  static fromUrl(url: string, options: MemcachedBackendOptions = {}): MemcachedBackend {
    return new MemcachedBackend({ ...options, url });
  }

  /** Celery `CacheBackend.get`: one GET; the value as pylibmc returns it (inflated if flag 8). */
  protected async get(key: string): Promise<Buffer | null> {
    const { value, flags } = await this.#client.get(key);
    return value === null ? null : itemBytes(value, readFlags(flags), key);
  }

  /** Celery `get_multi`: one GET per key, pipelined on each server's connection. */
  protected async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  /** Celery `CacheBackend.set`: SET with pylibmc's flags and `expires` as exptime (see {@link memcachedExptime}). */
  protected async set(key: string, value: Buffer, ttlSeconds: number | null): Promise<void> {
    await this.#client.set(key, value, { expires: memcachedExptime(ttlSeconds) });
  }

  /** Celery `CacheBackend.delete`; a missing key is fine. */
  protected async delete(key: string): Promise<void> {
    await this.#client.delete(key);
  }

  /**
   * Celery `CacheBackend.incr`: memcached INCR by 1; a missing counter is created at 1 (pylibmc
   * fails there; Celery sets its chord counters to 0 first), with `expires` as its TTL.
   */
  protected override async incr(key: string): Promise<number> {
    const { value } = await this.#client.increment(key, 1, { initial: 1, expires: memcachedExptime(this.expires) });
    return Number(value);
  }

  /**
   * Celery `CacheBackend._apply_chord_incr`: saves the header as a group (the GroupResult tuple
   * Python restores) and sets its counter `chord-unlock-<group id>` to 0, so header parts run by cq
   * or Python workers count on one counter and the last one applies the body; no
   * `celery.chord_unlock` is sent. Without `headerIds` (an older caller): false, unlock as before.
   * @throws BackendStoreError when memcached fails.
   */
  override async applyChord(groupId: string, _size: number, headerIds?: readonly string[]): Promise<boolean> {
    if (!headerIds) return false;
    await this.saveGroup(groupId, [[groupId, null], headerIds.map((id) => [[id, null], null])]);
    try {
      await this.#client.set(this.chordKeyPrefix + groupId, Buffer.from('0'), { expires: memcachedExptime(this.expires) });
    } catch (err) {
      throw new BackendStoreError(`setting up chord ${groupId} failed: ${(err as Error).message}`, { cause: err });
    }
    return true;
  }

  /**
   * Joins a chord that Python Celery or cq started on this backend (`CacheBackend._apply_chord_incr`: the
   * header saved as a group, its counter `chord-unlock-<group id>` set to 0): saves nothing itself,
   * counts the part with INCR on the counter Python and cq workers share, and for the part that
   * brings it to the header's size reads every header result, deletes the group and the counter
   * (as Celery's `on_chord_part_return`) and returns the parts in header order. A group that was
   * not saved (a chord joined by `celery.chord_unlock`) gives null without counting.
   * @throws BackendStoreError when memcached fails.
   */
  override async onChordPartReturn(request: ChordPartRequest, _state: State, _result: unknown): Promise<ChordPart[] | null> {
    if (!request.group || !request.id) return null;
    const groupId = request.group;
    const group = await this.restoreGroup(groupId);
    if (!group) return null;
    const ids = ((group.result as [unknown, [[string]][] | null] | null)?.[1] ?? []).map((child) => child[0][0]);
    const counter = this.chordKeyPrefix + groupId;
    try {
      if ((await this.incr(counter)) !== ids.length) return null;
      const metas = await this.getManyTaskMeta(ids);
      await this.deleteGroup(groupId);
      await this.delete(counter);
      return metas.map((meta) => ({ taskId: meta.task_id, state: meta.status, result: meta.result }));
    } catch (err) {
      if (err instanceof BackendError) throw err;
      throw new BackendStoreError(`counting task ${request.id} in chord ${groupId} failed: ${(err as Error).message}`, { cause: err, taskId: request.id });
    }
  }

  protected override wakeScope(): string {
    return `memcached:${this.servers.map((s) => `${s.host}:${s.port}`).join(';')}`;
  }

  /** Closes the connections to every server. */
  protected override async _close(): Promise<void> {
    this.#client.close();
  }
}
