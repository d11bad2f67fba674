/** Redis result backend (Celery `celery/backends/redis.py`); see {@link RedisBackend}. */
import type { Redis, RedisOptions } from 'ioredis';
import { kombuJson, type Deduplicator, type DeduplicatorProvider } from '@cq/kombu';
import { RedisDeduplicator, createRedisClient, parseRedisUrl, redisClientOptions, redisFailure, redisFatalError, type RedisTlsSettings, type RedisUrl } from '@cq/redis';
import {
  BackendClosedError, BackendConfigurationError, BackendGetMetaError, BackendStoreError, KeyValueStoreBackend, TimeoutError,
  WaitAbortedError, type ChordPart, type ChordPartRequest, type KeyValueStoreBackendOptions, type State, type TaskMeta,
  type WaitForOptions,
} from '@cq/backend';
import { addChordPart, chordKeys } from './chord.js';
import { SCRIPTABLE_SERIALIZERS, StoreBatch, storeUnlessSucceeded } from './store.js';
import { ResultWatcher, type ResultWatchOptions } from './result-watch.js';
import { ResultSubscriber } from './subscriber.js';

/** Used when a backend is created without a URL (Celery's `redis://` defaults). */
export const DEFAULT_REDIS_URL = 'redis://localhost:6379/0';

/** Celery refuses values above Redis's string limit, 512 MiB (`RedisBackend.set`). */
export const MAX_VALUE_BYTES = 512 * 1024 * 1024;

/** Celery `result_backend_transport_options` keys this backend reads. */
export interface RedisTransportOptions {
  /**
   * Prefix of every key (Celery ≥ 5.3 `global_keyprefix`). As in Celery, `_` is appended unless it
   * already ends in `:`, `_`, `-` or `.`: `'app'` gives `app_celery-task-meta-<id>`.
   */
  global_keyprefix?: string;
  /** Chord parts kept in a sorted set by `group_index` (true, Celery's default) or a list in finishing order (false). */
  result_chord_ordered?: boolean;
  [key: string]: unknown;
}

export interface RedisBackendOptions extends KeyValueStoreBackendOptions {
  /** Default `redis://localhost:6379/0`. */
  url?: string;
  /**
   * TLS settings over the URL's `ssl_*` options (Celery `redis_backend_use_ssl`: `ssl_cert_reqs`,
   * `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`); needs a `rediss://` URL. Default: the app's
   * `redis_backend_use_ssl` setting (from `settings`).
   */
  useSsl?: RedisTlsSettings;
  /**
   * ioredis options, passed through (e.g. `connectTimeout` ms, `maxRetriesPerRequest`, `tls`);
   * they win over what the URL says. Used for both connections.
   */
  redis?: RedisOptions;
  /**
   * Celery `result_backend_transport_options`; `global_keyprefix`, `result_chord_ordered` and, for
   * `sentinel://`, `master_name` and `sentinel_kwargs` are read. Default: the app's setting.
   */
  transportOptions?: RedisTransportOptions;
  /** How many results are watched from the moment their task is sent, and for how long (result-watch.ts). */
  resultWatch?: ResultWatchOptions;
}

/**
 * Redis result backend (Celery `celery/backends/redis.py` `RedisBackend`), sharing keys with Python
 * Celery: a task's meta is the JSON string under `celery-task-meta-<id>`, a saved group under
 * `celery-taskset-meta-<id>`, both behind `global_keyprefix` when set.
 *
 * URL (parsed by @cq/redis, as Celery's `_params_from_url` reads it): `redis://[[user]:password@]host[:port][/db]`,
 * `rediss://…?ssl_cert_reqs=…` for TLS, `redis+socket:///path/to.sock?virtual_host=<db>`, and Celery's
 * `SentinelBackend` URL `sentinel://[:password@]host:26379/db;sentinel://…` with
 * `result_backend_transport_options = {'master_name': …, 'sentinel_kwargs': {'password': …}}`.
 *
 * Writes: as Celery, skip when SUCCESS is stored, else `SETEX key <expires> value` (`SET` when
 * `expires` is null) and `PUBLISH key value` — Celery does GET, then MULTI/EXEC; here one Lua script
 * does all three (`store.ts`), one round trip and no window between the read and the write. The
 * metas stored in one event-loop turn go in one call of `store-many-0.lua` (one script call and one
 * write for a worker's hundred results; a Redis Cluster stores them one by one).
 * Waiting: `waitFor` SUBSCRIBEs to the key's channel on one pub/sub connection shared by every
 * waiter, then GETs (so a result published in between is not missed), resolves on the first ready
 * state and UNSUBSCRIBEs; it never polls. Keys expire in Redis, so `cleanup()` has nothing to do.
 * Chords: joined here, with Celery's `.j`/`.t`/`.s` keys (see `chord.ts`), so Python and cq workers
 * complete each other's chords. Capability: a `DeduplicatorProvider` (`deduplicator()`, enqueue-time
 * deduplication records `_cq.dedup.<key>` behind `global_keyprefix`), for brokers that keep none (AMQP, SQS).
 *
 * Options ({@link RedisBackendOptions}): `url` (default `redis://localhost:6379/0`), `useSsl`
 * (Celery `redis_backend_use_ssl`), `redis` (ioredis options, times in ms as ioredis takes them),
 * `transportOptions` (Celery `result_backend_transport_options`: `global_keyprefix`,
 * `result_chord_ordered`), plus the base options (`expires` in **seconds**, default 1 day).
 *
 * Errors: the constructor throws `BackendConfigurationError` for a bad URL, TLS setting, serializer
 * or `expires`; a refused TLS handshake or password is kombu's `TlsError` (`CQ_KOMBU_TLS`) or
 * `AuthenticationError` (`CQ_KOMBU_AUTHENTICATION`), thrown at once by every call (the connection is
 * not retried), naming `redis_backend_use_ssl.*` or `result_backend`; a value over Redis's 512 MiB
 * string limit is a `BackendStoreError` (as Celery);
 * Redis failures are `BackendStoreError` on writes and `BackendGetMetaError` on reads; `waitFor`
 * rejects with `TimeoutError` / `WaitAbortedError`, and with `BackendClosedError` when the backend
 * is closed while it waits.
 */
export class RedisBackend extends KeyValueStoreBackend implements DeduplicatorProvider {
  /** The parsed URL (@cq/redis). */
  readonly redisUrl: RedisUrl;
  /** The ioredis options both connections are made with (URL, then `options.redis`). */
  readonly redisOptions: RedisOptions;
  /** The command connection (GET, MGET, MULTI/EXEC, DEL). */
  readonly client: Redis;
  readonly #subscriber: ResultSubscriber;
  /** Watches of result channels, from the send (`onTaskCall`) or from `waitFor`. */
  readonly #watcher: ResultWatcher;
  /** Celery `result_chord_ordered` (transport option); default true. */
  readonly chordOrdered: boolean;
  readonly #keyPrefix: string;

  /** @throws BackendConfigurationError for a bad URL or TLS setting, serializer or `expires`. */
  constructor(options: RedisBackendOptions = {}) {
    const keyPrefix = options.keyPrefix ?? celeryKeyPrefix(options.transportOptions?.global_keyprefix);
    const url = options.url ?? DEFAULT_REDIS_URL;
    super({ ...options, url, keyPrefix });
    this.#keyPrefix = keyPrefix;
    try {
      const useSsl = options.useSsl ?? (options.settings?.['redis_backend_use_ssl'] as RedisTlsSettings | null | undefined) ?? null;
      const transportOptions = options.transportOptions ?? (options.settings?.['result_backend_transport_options'] as RedisTransportOptions | undefined) ?? {};
      this.redisUrl = parseRedisUrl(url, {
        tls: useSsl, tlsSetting: 'redis_backend_use_ssl', urlSetting: 'result_backend',
        transportOptions, transportOptionsSetting: 'result_backend_transport_options',
      });
      this.redisOptions = redisClientOptions(this.redisUrl, { redis: options.redis });
    } catch (err) {
      throw new BackendConfigurationError(`Redis result backend: ${(err as Error).message}`, { cause: err });
    }
    // Failures surface as rejected commands (wrapped by the base class); ioredis reconnects by itself.
    this.client = createRedisClient(this.redisUrl, { redis: { enableAutoPipelining: true, ...options.redis, lazyConnect: true } });
    this.chordOrdered = options.transportOptions?.result_chord_ordered !== false;
    // No ready check on the pub/sub connection: ioredis (5.x) sends its INFO ready check after a
    // SUBSCRIBE issued while it connects has put the connection in subscriber mode, refuses it, and
    // the subscriptions made in that window are silently lost. SUBSCRIBE needs no ready server.
    this.#subscriber = new ResultSubscriber(() => createRedisClient(this.redisUrl, { redis: { ...options.redis, lazyConnect: false, enableReadyCheck: false } }));
    this.#watcher = new ResultWatcher({
      subscriber: this.#subscriber,
      channel: (taskId) => this.keyForTask(taskId),
      read: (taskId) => this.getTaskMeta(taskId),
      decode: (payload, taskId) => completeMeta(this.decode(payload), taskId),
      subscribeFailed: (caught, channel, taskId) => {
        const err = this.#subscriber.failure(caught);
        const fatal = redisFatalError(err, this.redisUrl) ?? err;
        return hasCode(fatal) ? fatal : new BackendGetMetaError(`subscribing to ${channel} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, taskId });
      },
    }, options.resultWatch);
    // Celery's read-then-write of a task meta in one Lua script, for metas the script can read;
    // other serializers take the template's two-step path.
    if (SCRIPTABLE_SERIALIZERS.has(this.serializer)) {
      this.setUnlessSucceeded = (key, value, ttlSeconds) => {
        if (value.length > MAX_VALUE_BYTES) {
          return Promise.reject(new BackendStoreError(`the value for ${key} is ${value.length} bytes, more than Redis's 512 MiB limit`));
        }
        return this.#guard(storeUnlessSucceeded(this.client, key, value, ttlSeconds, this.serializer));
      };
    }
  }

  /**
   * Task metas (json, msgpack) on a single Redis server are stored in batches: the metas stored in
   * one event-loop turn go to Redis in one script call (`store.ts` {@link StoreBatch}), each written
   * as Celery's read-then-write would. A json meta goes as text (the same bytes): the arguments being
   * strings, ioredis writes the call as one string. A Cluster (keys in many slots), another
   * serializer or a subclass's own `encode`: one write per meta, as the template does.
   */
  protected override _storeResult(taskId: string, meta: TaskMeta): Promise<boolean> {
    if (!this.#storeBatch) return super._storeResult(taskId, meta);
    const key = this.keyForTask(taskId);
    const value = this.serializer === 'json' ? kombuJson.stringify(meta) : this.encode(meta);
    if (value.length > MAX_VALUE_BYTES / 3 && (typeof value === 'string' ? Buffer.byteLength(value) : value.length) > MAX_VALUE_BYTES) {
      return Promise.reject(new BackendStoreError(`the value for ${key} is more than Redis's 512 MiB limit`));
    }
    return this.#storeBatch.add(key, value, this.#ttlArg);
  }

  /** The batch of task-meta writes (see {@link _storeResult}); null where metas are written one by one. */
  get #storeBatch(): StoreBatch | null {
    if (this.#batch === undefined) {
      const plainEncode = (this as unknown as { encode: unknown }).encode === (KeyValueStoreBackend.prototype as unknown as { encode: unknown }).encode;
      this.#batch = SCRIPTABLE_SERIALIZERS.has(this.serializer) && plainEncode && !this.redisUrl.cluster
        ? new StoreBatch(this.client, this.serializer, (err) => this.#failure(err)) : null;
    }
    return this.#batch;
  }

  #batch: StoreBatch | null | undefined = undefined;

  /** `expires` as the store scripts take it: ms, rounded up, as a string; '' for none. */
  get #ttlArg(): string {
    return this.expires === null ? '' : String(Math.ceil(this.expires * 1000));
  }

  /** The registry's factory: `redis://…` or `rediss://…` (Celery `result_backend`). */
  static fromUrl(url: string, options: RedisBackendOptions = {}): RedisBackend {
    return new RedisBackend({ ...options, url });
  }

  /**
   * Celery `on_task_call` (the Redis `ResultConsumer` subscribes when a task is sent): starts watching
   * the task's result channel now, so that `get()` finds the subscription made and the first read
   * done (result-watch.ts). Bounded (`resultWatch`: 256 at a time, 10 s unclaimed), never awaited
   * on the send path, and never failing it: a watch that fails is started again by `waitFor`.
   */
  override onTaskCall(taskId: string): Promise<void> {
    if (!this.closed) this.#watcher.early(taskId);
    return Promise.resolve();
  }

  /**
   * Resolve with the meta at the first ready state (SUCCESS, FAILURE, REVOKED), failures included
   * (Celery `wait_for` with the Redis `ResultConsumer`). Subscribes to `celery-task-meta-<id>`, then
   * reads the key once; after that only a PUBLISH (or a reconnect of the pub/sub connection) makes
   * it look again. The watch begun when this client sent the task is used when there is one.
   * `options.interval` is ignored: there is no polling.
   * @throws TimeoutError (CQ_BACKEND_TIMEOUT) after `timeout` seconds; WaitAbortedError when `signal` fires;
   *         BackendClosedError when the backend is closed meanwhile; BackendGetMetaError when SUBSCRIBE fails.
   */
  override async waitFor(taskId: string, options: WaitForOptions = {}): Promise<TaskMeta> {
    this.assertOpen(taskId);
    const { timeout, signal } = options;
    if (signal?.aborted) throw new WaitAbortedError(`waiting for task ${taskId} was aborted`, { cause: signal.reason, taskId });
    const watch = this.#watcher.claim(taskId);
    return new Promise<TaskMeta>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => watch.cancel(new WaitAbortedError(`waiting for task ${taskId} was aborted`, { cause: signal?.reason, taskId }));
      if (timeout !== undefined) {
        const timeoutMs = timeout * 1000;
        timer = setTimeout(() => {
          watch.cancel(new TimeoutError(`The operation timed out: task ${taskId} was not ready after ${timeout} s`, timeoutMs, { taskId }));
        }, Math.max(0, timeoutMs));
      }
      signal?.addEventListener('abort', onAbort);
      watch.meta.then((meta) => { cleanup(); resolve(meta); }, (err: unknown) => { cleanup(); reject(err); });
    });
  }

  /** Celery `forget`; also ends the watch begun when the task was sent. */
  protected override _forget(taskId: string): Promise<void> {
    this.#watcher.drop(taskId);
    return super._forget(taskId);
  }

  /** Early watches held now: tasks sent by this client whose result channel is watched before `get()` (tests, diagnostics). */
  get earlyWatches(): number {
    return this.#watcher.earlyCount;
  }

  // ---------------------------------------------------------------------------------------- chords

  /**
   * Stores the header size under `celery-taskset-meta-<groupId>.s` with the result expiry (Celery
   * `set_chord_size`: SETEX and PUBLISH, value the decimal number); the chord is then joined by
   * {@link onChordPartReturn}. Always resolves true.
   * @throws BackendStoreError when Redis fails.
   */
  override async applyChord(groupId: string, size: number): Promise<boolean> {
    this.assertOpen(groupId);
    try {
      await this.set(chordKeys(this.chordGroupKey(groupId)).size, Buffer.from(String(size)), this.expires);
    } catch (err) {
      if (err instanceof BackendStoreError) throw err;
      throw new BackendStoreError(`storing the size of chord ${groupId} failed: ${(err as Error).message}`, { cause: err });
    }
    return true;
  }

  /**
   * Adds the part to the chord's `.j` key and, when it is the last one, reads and deletes the chord's
   * keys in the same atomic step (Celery `RedisBackend.on_chord_part_return`, see `chord.ts`).
   * Nothing happens for a request without group or id, or a group without a stored size.
   * @returns the parts in group order for the call that completed the chord, else null.
   * @throws BackendStoreError when Redis fails; kombu's DecodeError for an entry it cannot read.
   */
  override async onChordPartReturn(request: ChordPartRequest, state: State, result: unknown): Promise<ChordPart[] | null> {
    if (!request.group || !request.id) return null;
    this.assertOpen(request.id);
    const entry = this.encode([1, request.id, state, this.encodeResult(result, state)]);
    let entries: Buffer[] | null;
    try {
      entries = (await addChordPart(this.client, this.chordGroupKey(request.group), entry, request.groupIndex, this.chordOrdered, this.expires, request.id)).entries;
    } catch (caught) {
      const err = this.#failure(caught);
      if (hasCode(err)) throw err;
      throw new BackendStoreError(`adding task ${request.id} to chord ${request.group} failed: ${(err as Error).message}`, { cause: err, taskId: request.id });
    }
    if (entries === null) return null;
    return entries.map((raw) => {
      const [, taskId, partState, value] = this.decode(raw) as [number, string, State, unknown];
      return { taskId, state: partState, result: value };
    });
  }

  /**
   * Grows the chord by one part: INCR of `celery-taskset-meta-<groupId>.t`, which the chord counter
   * adds to the stored size (Celery `RedisBackend.add_to_chord`). Always resolves true.
   * @throws BackendStoreError when Redis fails.
   */
  override async addToChord(groupId: string, _taskId: string): Promise<boolean> {
    this.assertOpen(groupId);
    try {
      await this.client.incr(chordKeys(this.chordGroupKey(groupId)).total);
    } catch (caught) {
      const err = this.#failure(caught);
      if (hasCode(err)) throw err;
      throw new BackendStoreError(`adding a part to chord ${groupId} failed: ${(err as Error).message}`, { cause: err });
    }
    return true;
  }

  /**
   * The group key a chord's `.j`/`.t`/`.s` keys are named after: Celery's `celery-taskset-meta-<id>`,
   * or on a Redis Cluster `{celery-taskset-meta-<id>}`, a hash tag putting the three keys the chord
   * script uses together in one slot.
   */
  private chordGroupKey(groupId: string): string {
    const key = this.keyForGroup(groupId);
    return this.redisUrl.cluster ? `{${key}}` : key;
  }

  // ---------------------------------------------------------------------------------------- store hooks

  /** Celery `RedisBackend.get`: GET. */
  protected async get(key: string): Promise<Buffer | null> {
    return this.#guard(this.client.getBuffer(key));
  }

  /** Celery `RedisBackend.mget`: one MGET. */
  protected async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return this.#guard(this.client.mgetBuffer(...keys));
  }

  /**
   * Celery `RedisBackend.set`/`_set`: `MULTI; SETEX|SET; PUBLISH; EXEC`, the channel being the key.
   * A fractional `ttlSeconds` is written with PSETEX (ms, rounded up).
   * @throws BackendStoreError for a value over 512 MiB or a failed command in the transaction.
   */
  protected async set(key: string, value: Buffer, ttlSeconds: number | null): Promise<void> {
    if (value.length > MAX_VALUE_BYTES) {
      throw new BackendStoreError(`the value for ${key} is ${value.length} bytes, more than Redis's 512 MiB limit`);
    }
    const tx = this.client.multi();
    if (ttlSeconds === null) tx.set(key, value);
    else if (Number.isInteger(ttlSeconds)) tx.setex(key, ttlSeconds, value);
    else tx.psetex(key, Math.ceil(ttlSeconds * 1000), value);
    tx.publish(key, value);
    const replies = await this.#guard(tx.exec());
    if (!replies) throw new BackendStoreError(`the transaction writing ${key} was aborted`);
    const failed = replies.find(([err]) => err);
    if (failed?.[0]) throw new BackendStoreError(`writing ${key} failed: ${failed[0].message}`, { cause: failed[0] });
  }

  /**
   * Enqueue-time deduplication records (`applyAsync(…, { deduplicationId })`) in this Redis, on the
   * command connection (@cq/redis `RedisDeduplicator`); Redis failures reject with BackendStoreError.
   */
  deduplicator(): Deduplicator {
    return new RedisDeduplicator(this.client, {
      prefix: this.#keyPrefix,
      onError: (err, action) => {
        const failure = this.#failure(err);
        return hasCode(failure) ? failure : new BackendStoreError(`Redis result backend failed while ${action}: ${failure instanceof Error ? failure.message : String(failure)}`, { cause: failure });
      },
    });
  }

  /** Celery `RedisBackend.delete`: DEL. */
  protected async delete(key: string): Promise<void> {
    await this.#guard(this.client.del(key));
  }

  /** Celery `RedisBackend.incr`: INCR. */
  protected override async incr(key: string): Promise<number> {
    return this.#guard(this.client.incr(key));
  }

  /**
   * What a failed command reports: kombu's TlsError / AuthenticationError when the connection was
   * refused for good (the client then stays closed), else the driver's error.
   */
  #failure(err: unknown): unknown {
    const failure = redisFailure(this.client, err);
    return redisFatalError(failure, this.redisUrl) ?? failure;
  }

  #guard<T>(command: Promise<T>): Promise<T> {
    return command.catch((err: unknown) => { throw this.#failure(err); });
  }

  /** Closes both connections; pending `waitFor` calls reject with BackendClosedError. */
  protected override async _close(): Promise<void> {
    const closed = new BackendClosedError('the result backend was closed while waiting');
    this.#watcher.failAll(closed);
    this.#subscriber.close();
    // QUIT only on a live connection: while (re)connecting it would wait in the offline queue.
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }
}

/** True for cq's typed errors (kombu's TlsError, AuthenticationError, ...), which pass through unwrapped. */
function hasCode(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('CQ_');
}

/** Celery ≥ 5.3 `_add_global_keyprefix`: a separator `_` unless the prefix ends in one of `:_-.`. */
export function celeryKeyPrefix(globalKeyprefix: string | undefined | null): string {
  if (!globalKeyprefix) return '';
  return ':_-.'.includes(globalKeyprefix.slice(-1)) ? globalKeyprefix : `${globalKeyprefix}_`;
}

/** A published meta with the keys an older or foreign writer may have left out (as `getTaskMeta` does). */
function completeMeta(value: unknown, taskId: string): TaskMeta {
  if (typeof value !== 'object' || value === null || typeof (value as { status?: unknown }).status !== 'string') {
    throw new TypeError('not a task meta');
  }
  const meta = value as Partial<TaskMeta>;
  return Object.assign({ status: meta.status, result: null, traceback: null, children: [], date_done: null }, meta, {
    task_id: meta.task_id ?? taskId,
  }) as TaskMeta;
}
