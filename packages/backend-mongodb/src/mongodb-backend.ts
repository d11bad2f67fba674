/** MongoDB result backend (Celery `celery/backends/mongodb.py`); see {@link MongoBackend}. */
import {
  Backend, SUCCESS, type BackendOptions, type GroupMeta, type TaskMeta,
} from '@cq/backend';
import { MongoClient, MongoServerError, type Collection, type MongoClientOptions } from 'mongodb';
import {
  groupChildIds, groupDocument, groupTuple, metaFromDocument, readStoredValue, storedValue, taskDocument, type GroupDocument, type TaskDocument,
} from './documents.js';
import { MongoBackendSettingsError } from './errors.js';
import { resolveBackendSettings, type MongoBackendSettings, type ResolvedMongoBackend } from './settings.js';

export interface MongoBackendOptions extends BackendOptions {
  /** `mongodb://…` or `mongodb+srv://…` (Celery `result_backend`). Default: the settings alone, else `localhost:27017`. */
  url?: string;
  /** Celery `mongodb_backend_settings`; default the app's (`settings.mongodb_backend_settings`). */
  mongodbBackendSettings?: MongoBackendSettings;
  /** Driver options over what the URL and settings give (e.g. `tlsCAFile`, `serverSelectionTimeoutMS`). */
  client?: MongoClientOptions;
}

/**
 * MongoDB result backend (Celery `MongoBackend`), sharing its collections with Python Celery: a task's
 * meta is one document of `celery_taskmeta` with the task id as `_id`, a saved group one document of
 * `celery_groupmeta` (shapes in `documents.ts`: Celery's, field for field).
 *
 * URL and settings (`settings.ts`): `mongodb://[user:password@]host[:port][,…]/[database][?options]`,
 * `mongodb+srv://…`; Celery's `mongodb_backend_settings` (`database` default `celery`,
 * `taskmeta_collection` default `celery_taskmeta`, `groupmeta_collection` default `celery_groupmeta`,
 * `host`, `port`, `mongo_host`, `user`, `password`, `options`, and driver options).
 *
 * Writes: as Celery, one `replace_one(upsert)` per state; unlike Celery, it never replaces a stored
 * SUCCESS (the filter excludes it; the insert it then attempts fails on the `_id` and is read as "kept").
 * Reads: `find_one` by `_id`; several ids in one `find`. Results are kept until `cleanup()` (the
 * `celery.backend_cleanup` task beat runs daily) deletes those whose `date_done` is older than
 * `expires` — Celery's way (`supports_autoexpire` is false); the `date_done` index is Celery's.
 * Chords use `celery.chord_unlock`, as with Celery's MongoDB backend.
 *
 * Errors: the constructor throws `MongoBackendSettingsError` for a bad URL, settings or driver
 * option, and the base's `BackendConfigurationError` for a bad serializer or `expires`; driver
 * failures are `BackendStoreError` on writes and `BackendGetMetaError` on reads, the driver's error
 * as `cause`; a plain field BSON cannot hold is `MongoBackendEncodeError`.
 */
export class MongoBackend extends Backend {
  /** URL and settings as resolved. */
  readonly resolved: ResolvedMongoBackend;
  /** The driver's client (a connection pool), connected on first use, closed by `close()`. */
  readonly client: MongoClient;
  #ready: Promise<{ tasks: Collection<TaskDocument>; groups: Collection<GroupDocument> }> | null = null;

  /** @throws MongoBackendSettingsError for a bad URL, settings or driver option. */
  constructor(options: MongoBackendOptions = {}) {
    super(options);
    this.resolved = resolveBackendSettings(options.url, options.mongodbBackendSettings ?? options.settings?.['mongodb_backend_settings']);
    try {
      this.client = new MongoClient(this.resolved.connectionString, { ...this.resolved.clientOptions, ...options.client });
    } catch (err) {
      throw new MongoBackendSettingsError(
        `the mongodb driver refused the result backend's URL or options (${this.resolved.where}): ${err instanceof Error ? err.message : String(err)}: fix result_backend or mongodb_backend_settings`,
        { cause: err },
      );
    }
  }

  /** The registry's factory: `mongodb://…` and `mongodb+srv://…`. */
  static fromUrl(url: string, options: MongoBackendOptions = {}): MongoBackend {
    return new MongoBackend({ ...options, url });
  }

  protected async _storeResult(taskId: string, meta: TaskMeta): Promise<boolean> {
    const { tasks } = await this.collections();
    const { _id, ...replacement } = this.taskDocumentFor(meta);
    for (let attempt = 0; ; attempt++) {
      try {
        await tasks.replaceOne({ _id, status: { $ne: SUCCESS } }, replacement, { upsert: true });
        return true;
      } catch (err) {
        // The filter missed: either SUCCESS is stored (kept), or another write inserted the id first (try again).
        if (!(err instanceof MongoServerError && err.code === 11000) || attempt >= 2) throw err;
        const current = await tasks.findOne({ _id }, { projection: { status: 1 } });
        if (current?.status === SUCCESS) return false;
      }
    }
  }

  protected async _getTaskMetaFor(taskId: string): Promise<TaskMeta | null> {
    const { tasks } = await this.collections();
    const doc = await tasks.findOne({ _id: taskId });
    return doc ? this.metaOf(doc) : null;
  }

  protected override async _getManyTaskMeta(taskIds: readonly string[]): Promise<(TaskMeta | null)[]> {
    if (taskIds.length === 0) return [];
    const { tasks } = await this.collections();
    const found = new Map<string, TaskDocument>();
    for (const doc of await tasks.find({ _id: { $in: [...taskIds] } }).toArray()) found.set(String(doc._id), doc);
    return taskIds.map((id) => {
      const doc = found.get(id);
      return doc ? this.metaOf(doc) : null;
    });
  }

  protected async _forget(taskId: string): Promise<void> {
    const { tasks } = await this.collections();
    await tasks.deleteOne({ _id: taskId });
  }

  /** Celery `_save_group`: the children's ids, serialized, and the time saved. */
  protected async _saveGroup(groupId: string, result: unknown): Promise<void> {
    const { groups } = await this.collections();
    const { _id, ...replacement } = this.groupDocumentFor(groupId, result);
    await groups.replaceOne({ _id }, replacement, { upsert: true });
  }

  protected async _restoreGroup(groupId: string): Promise<GroupMeta | null> {
    const { groups } = await this.collections();
    const doc = await groups.findOne({ _id: groupId });
    if (!doc) return null;
    const done = doc.date_done;
    return { group_id: groupId, result: groupTuple(groupId, this.unstored(doc.result)), date_done: done instanceof Date ? this.formatDate(done) : (done ?? null) };
  }

  protected async _deleteGroup(groupId: string): Promise<void> {
    const { groups } = await this.collections();
    await groups.deleteOne({ _id: groupId });
  }

  /** Celery `cleanup`: deletes tasks and groups whose `date_done` is older than `expires` (nothing when results never expire). */
  protected async _cleanup(): Promise<void> {
    if (!this.expires) return;
    const { tasks, groups } = await this.collections();
    const before = new Date(this.now().getTime() - this.expires * 1000);
    await tasks.deleteMany({ date_done: { $lt: before } });
    await groups.deleteMany({ date_done: { $lt: before } });
  }

  protected override async _close(): Promise<void> {
    await this.client.close();
  }

  /** Backends on the same collection in this process wake each other's `waitFor`. */
  protected override wakeScope(): string {
    return `mongodb:${this.resolved.where}/${this.resolved.taskmetaCollection}`;
  }

  /** The document Celery's `_store_result` writes for `meta` (the base's meta, in Celery's key order, with `_id`). */
  protected taskDocumentFor(meta: TaskMeta): TaskDocument {
    return taskDocument(meta, this.stored(meta.result), (text) => this.parseDate(text));
  }

  /** The document Celery's `_save_group` writes for a group result tuple (the children's ids, serialized). */
  protected groupDocumentFor(groupId: string, result: unknown): GroupDocument {
    return groupDocument(groupId, this.stored(groupChildIds(result)), this.now());
  }

  /** Celery `MongoBackend.encode` (`documents.ts` `storedValue`). */
  private stored(value: unknown): unknown {
    return storedValue(this.encode(value), this.contentEncoding);
  }

  /** Celery `MongoBackend.decode` (`documents.ts` `readStoredValue`). */
  protected unstored(value: unknown): unknown {
    return readStoredValue(value, (payload) => this.decode(payload));
  }

  private metaOf(doc: TaskDocument): TaskMeta {
    return metaFromDocument(doc, (stored) => this.unstored(stored), this.extended, (date) => this.formatDate(date));
  }

  /** Connects once and makes Celery's `date_done` indexes (with Celery's options, so either side may be first). */
  private collections(): Promise<{ tasks: Collection<TaskDocument>; groups: Collection<GroupDocument> }> {
    if (this.#ready) return this.#ready;
    const ready = (async () => {
      await this.client.connect();
      const db = this.client.db(this.resolved.database);
      const tasks = db.collection<TaskDocument>(this.resolved.taskmetaCollection);
      const groups = db.collection<GroupDocument>(this.resolved.groupmetaCollection);
      await tasks.createIndex('date_done', { background: true });
      await groups.createIndex('date_done', { background: true });
      return { tasks, groups };
    })();
    this.#ready = ready;
    void ready.catch(() => {
      if (this.#ready === ready) this.#ready = null; // the next call tries again
    });
    return ready;
  }
}
