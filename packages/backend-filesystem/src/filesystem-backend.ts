/**
 * The file-system result backend (Celery `celery/backends/filesystem.py` `FilesystemBackend`); see
 * {@link FilesystemBackend}.
 *
 * Features: one file per key in one directory (`celery-task-meta-<id>`, `celery-taskset-meta-<id>`)
 * holding the result serializer's bytes, as Python Celery writes them; whole-file replacement (a
 * reader never sees half a file); `cleanup()` by modification time.
 * Connection string: `file:///absolute/path` (see url.ts). Options: the key-value and base options.
 */
import { randomUUID } from 'node:crypto';
import { chmod, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyValueStoreBackend, type KeyValueStoreBackendOptions } from '@cq/backend';
import { FilesystemPathError, FilesystemUrlError, UnsafeKeyError } from './errors.js';
import { parseFilesystemUrl } from './url.js';

/** Temporary files: `celery-result-<uuid>.tmp`, the names a recent Celery source gives its own; cleanup removes stale ones. */
const TEMP = /^celery-result-[^/]*\.tmp$/;

export type FilesystemBackendOptions = KeyValueStoreBackendOptions;

/**
 * Celery's file-system result backend: each result is a file named by its key in one directory
 * (a shared or network file system lets several machines use it), holding the same bytes Python
 * Celery writes, so Python and cq read each other's results.
 *
 * ```ts
 * const backend = new FilesystemBackend({ url: 'file:///var/lib/results', expires: 86400 });
 * await backend.markAsDone(taskId, { sum: 5 });                 // writes /var/lib/results/celery-task-meta-<id>
 * const meta = await backend.waitFor(taskId, { timeout: 10 });  // polls; seconds
 * await backend.cleanup();                                      // deletes result files older than expires
 * ```
 *
 * URL (Celery `result_backend`): `file:///absolute/path` or `file://localhost/absolute/path`; the
 * directory must exist. On first use the backend writes, reads back and removes a
 * `.fs-backend-<uuid>` file there, as Celery does on start. Writes go to `celery-result-<uuid>.tmp`
 * in the same directory, then are renamed over the result file (keeping its permissions), so a
 * reader sees the old or the new content, never a part (Celery 5.2 writes in place). Files do not
 * expire by themselves (`supportsAutoexpire` is false): `cleanup()` — the `celery.backend_cleanup`
 * task beat runs daily — deletes result files and stale temporary files whose modification time
 * is older than `expires` seconds (Celery `result_expires`, default 1 day; null: never). A stored SUCCESS is not overwritten (read, then write, as Celery). Waiting polls.
 *
 * Errors: FilesystemUrlError (constructor) for a bad URL; FilesystemPathError when the directory is
 * unusable; UnsafeKeyError for a task id with `/` or NUL; BackendStoreError / BackendGetMetaError
 * wrapping other file-system errors (cause kept).
 */
export class FilesystemBackend extends KeyValueStoreBackend {
  /** The directory, absolute and normalized. */
  readonly path: string;
  #checked: Promise<void> | undefined;

  /** @throws FilesystemUrlError when `url` is missing or not `file:///absolute/path`. */
  constructor(options: FilesystemBackendOptions = {}) {
    super(options);
    if (!options.url) throw new FilesystemUrlError('the file-system result backend needs a URL: file:///absolute/path/to/dir');
    this.path = parseFilesystemUrl(options.url);
  }

  /** The registry's factory: `file:///absolute/path`. */
  static fromUrl(url: string, options: FilesystemBackendOptions = {}): FilesystemBackend {
    return new FilesystemBackend({ ...options, url });
  }

  /** False, as in Celery: files stay until {@link cleanup} removes them. */
  override get supportsAutoexpire(): boolean {
    return false;
  }

  /** Celery `FilesystemBackend.get`: the file's bytes, or null when there is no file. */
  protected async get(key: string): Promise<Buffer | null> {
    const file = await this.filename(key);
    try {
      return await readFile(file);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  protected async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  /** Celery `set`: the whole value into a temporary file, renamed over the key's file. `ttlSeconds` is unused. */
  protected async set(key: string, value: Buffer, _ttlSeconds: number | null): Promise<void> {
    const file = await this.filename(key);
    const temp = path.join(this.path, `celery-result-${randomUUID()}.tmp`);
    try {
      await writeFile(temp, value);
      await stat(file).then(({ mode }) => chmod(temp, mode & 0o7777), (err: unknown) => { if (!isMissing(err)) throw err; });
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  /** Celery `delete`: unlink; a missing file is fine (Celery raises FileNotFoundError). */
  protected async delete(key: string): Promise<void> {
    const file = await this.filename(key);
    await unlink(file).catch((err: unknown) => { if (!isMissing(err)) throw err; });
  }

  /**
   * Celery `FilesystemBackend.cleanup`: deletes the files whose name starts with the task, group or
   * chord key prefix, and stale `celery-result-*.tmp` files, when modified more than `expires`
   * seconds ago. Nothing when `expires` is null. Other files are left alone.
   */
  protected override async _cleanup(): Promise<void> {
    if (this.expires === null) return;
    await this.ready();
    const cutoff = Date.now() - this.expires * 1000;
    const prefixes = [this.taskKeyPrefix, this.groupKeyPrefix, this.chordKeyPrefix];
    for (const name of await readdir(this.path)) {
      if (!TEMP.test(name) && !prefixes.some((prefix) => name.startsWith(prefix))) continue;
      const file = path.join(this.path, name);
      try {
        if ((await stat(file)).mtimeMs < cutoff) await unlink(file);
      } catch (err) {
        if (!isMissing(err)) throw err; // another process removed it first
      }
    }
  }

  protected override wakeScope(): string {
    return `file:${this.path}`;
  }

  /** The key's file, once the directory passed its test. */
  private async filename(key: string): Promise<string> {
    if (key.includes('/') || key.includes('\0') || key === '.' || key === '..') {
      throw new UnsafeKeyError(`the key ${JSON.stringify(key)} would name a file outside ${this.path}: task and group ids must not contain "/" or NUL`);
    }
    await this.ready();
    return path.join(this.path, key);
  }

  /** Celery `_do_directory_test`, once (again after a failure, so a directory created later is picked up). */
  private ready(): Promise<void> {
    this.#checked ??= this.directoryTest().catch((err: unknown) => {
      this.#checked = undefined;
      throw err;
    });
    return this.#checked;
  }

  private async directoryTest(): Promise<void> {
    const probe = path.join(this.path, `.fs-backend-${randomUUID()}`);
    try {
      await writeFile(probe, 'test value');
      if ((await readFile(probe, 'utf8')) !== 'test value') throw new Error('the test file read back differently');
      await unlink(probe);
    } catch (err) {
      throw new FilesystemPathError(
        `the file-system result backend directory ${this.path} does not work: make sure it exists and this process may create, read and delete files there (${(err as Error).message})`,
        { cause: err },
      );
    }
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
