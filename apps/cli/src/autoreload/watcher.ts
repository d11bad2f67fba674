/**
 * `AppWatcher` — watches the local files of an app module (see `module-graph.ts`) and reports the ones
 * whose content changed, once a burst of writes has settled.
 *
 * - It watches the *directories* holding those files (`fs.watch`, not recursive) and keeps the events
 *   naming a watched file: an editor that saves by writing a new file and renaming it over the old
 *   one is seen as well, which a watch on the file itself would lose with the old inode. Node 20 does
 *   watch recursively on Linux, but by walking the whole tree (`node_modules` and `./.cq/` included,
 *   where the embedded SQLite broker writes all the time); the module graph is both smaller and exact.
 * - Events are debounced: the changed files are looked at `debounceMs` after the last event.
 * - A file counts as changed when its SHA-1 differs from the one last seen (as Celery 3's
 *   autoreloader compared hashes): a touch or a save without edits reloads nothing.
 * - After each settled burst the module graph is read again, so a new import is watched from then on.
 */
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { localModuleGraph } from './module-graph.js';

export interface AppWatcherOptions {
  /** Quiet time after the last file event before the changes are reported, ms. Default 200. */
  debounceMs?: number;
}

/** SHA-1 of the file, null when it cannot be read (deleted, mid-rename). */
function digest(file: string): string | null {
  try {
    return createHash('sha1').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

export class AppWatcher {
  /** Watched file → its last seen digest. */
  private readonly digests = new Map<string, string | null>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly debounceMs: number;

  /**
   * @param entry absolute path of the app module (the `-A` file).
   * @param onChange called with the absolute paths of the files whose content changed, after each
   *   settled burst of writes that changed at least one.
   */
  constructor(private readonly entry: string, private readonly onChange: (files: string[]) => void, options: AppWatcherOptions = {}) {
    this.debounceMs = options.debounceMs ?? 200;
  }

  /** The files watched now (the app module first). */
  get files(): string[] {
    return [...this.digests.keys()];
  }

  /** Reads the module graph and starts watching. */
  start(): void {
    this.sync();
  }

  /** Stops watching; no more `onChange`. */
  close(): void {
    clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.pending.clear();
  }

  /** Watches the directories of the current module graph; new files get their first digest. */
  private sync(): void {
    const files = localModuleGraph(this.entry);
    const wanted = new Set(files);
    for (const file of this.digests.keys()) if (!wanted.has(file)) this.digests.delete(file);
    for (const file of files) if (!this.digests.has(file)) this.digests.set(file, digest(file));
    const dirs = new Set(files.map((f) => path.dirname(f)));
    for (const [dir, watcher] of this.watchers) {
      if (dirs.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, name) => this.onEvent(dir, name));
        // The directory went away: stop watching it; the next sync picks it up again if it returns.
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // Missing directory: nothing to watch there now.
      }
    }
  }

  private onEvent(dir: string, name: string | Buffer | null): void {
    if (name === null) for (const file of this.digests.keys()) if (path.dirname(file) === dir) this.pending.add(file);
    if (name !== null) {
      const file = path.join(dir, name.toString());
      if (!this.digests.has(file)) return;
      this.pending.add(file);
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settle(), this.debounceMs);
  }

  /** The burst is over: report the files whose content changed, then follow the graph again. */
  private settle(): void {
    const changed: string[] = [];
    for (const file of this.pending) {
      const now = digest(file);
      if (now === this.digests.get(file)) continue;
      this.digests.set(file, now);
      changed.push(file);
    }
    this.pending.clear();
    this.sync();
    if (changed.length > 0) this.onChange(changed);
  }
}
