/**
 * `Autoreloader` — what `cq worker --autoreload` runs (Celery 3's `--autoreload`, removed in Celery 4):
 * a small process that never loads the app. It starts the real worker as a child process (the same
 * command line without `--autoreload`), watches the app module and the local files it imports
 * (`AppWatcher`), and on a change:
 *
 * - `prefork`/`threads` worker: asks it to restart its pool (Celery's `pool_restart`): new children
 *   import the changed code while the old ones finish their running tasks; the worker keeps its
 *   broker connection and prefetched messages. Its own app (task registry, options, settings) stays
 *   as loaded at start.
 * - `async`/`solo` worker: the tasks run in the worker's own process, and an ES module cannot be
 *   unloaded, so it is replaced: SIGTERM (warm shutdown: consuming stops, prefetched messages go back
 *   to the broker, running tasks finish), then a new worker process once it has exited.
 * - a worker still starting is stopped and started again; none running (it exited with an error,
 *   e.g. a syntax error in the app) is started again.
 *
 * One log line per reload names the changed files; another says when the new code runs.
 * SIGINT/SIGTERM/SIGQUIT are passed on to the worker (its own process group, so a Ctrl-C from the
 * terminal reaches it once, through here) and this process exits with its exit code. A worker that
 * exits 0 on its own (remote `shutdown`) ends the supervisor too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@cq/celery';
import { SUPERVISED_ENV, type ToSupervisor, type ToWorker } from './supervised.js';
import { AppWatcher } from './watcher.js';

/** The CLI entry beside this module's directory (`.ts` from source, `.js` when built). */
const CLI_BIN = fileURLToPath(new URL(`../bin${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export interface AutoreloaderOptions {
  /** Absolute path of the app module (the `-A` file, without `:name`). */
  appModule: string;
  /** Arguments of each worker process: the `cq worker ...` command line without `--autoreload`. */
  args: string[];
  log: Logger;
  /** Quiet time after the last file event before reloading, ms. Default 200. */
  debounceMs?: number;
}

/** How a file is named in the log: relative to the working directory when under it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

export class Autoreloader {
  private readonly watcher: AppWatcher;
  private readonly log: Logger;
  private child: ChildProcess | null = null;
  /** The running worker reported `ready` (and whether its pool restarts in place). */
  private ready: { pool: string; restartable: boolean } | null = null;
  /** Start a new worker when the current one exits (it was sent SIGTERM for a reload). */
  private respawn = false;
  /** A reload is under way: log when the new code runs. */
  private reloading = false;
  private stopping = false;
  private resolveDone!: (code: number) => void;
  private readonly done = new Promise<number>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(private readonly options: AutoreloaderOptions) {
    this.log = options.log;
    this.watcher = new AppWatcher(options.appModule, (files) => this.onChange(files), { debounceMs: options.debounceMs ?? 200 });
  }

  /** Starts watching and the first worker; resolves with the exit code this process should end with. */
  run(): Promise<number> {
    this.watcher.start();
    const files = this.watcher.files;
    this.log.info(`autoreload: watching ${files.length} file(s) of ${shown(this.options.appModule)}`);
    this.log.debug(`autoreload: watching ${files.map(shown).join(', ')}`);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const) process.on(signal, () => this.onSignal(signal));
    this.spawn();
    return this.done;
  }

  private spawn(): void {
    this.ready = null;
    const child = spawn(process.execPath, [...process.execArgv, CLI_BIN, ...this.options.args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true, // its own process group: a terminal's Ctrl-C reaches it once, through onSignal
      env: { ...process.env, [SUPERVISED_ENV]: '1' },
    });
    this.child = child;
    child.on('message', (message: unknown) => this.onMessage(message as ToSupervisor));
    child.once('error', (error) => {
      this.log.error(`autoreload: cannot start the worker: ${error.message}`);
      this.finish(1);
    });
    child.once('exit', (code, signal) => this.onExit(code, signal));
  }

  private onMessage(message: ToSupervisor): void {
    if (typeof message !== 'object' || message === null || message.cq !== 'autoreload') return;
    if (message.event === 'ready') {
      this.ready = { pool: message.pool, restartable: message.restartable };
      if (this.reloading) this.log.info('autoreload: reloaded: a new worker process runs the new code');
    } else if (message.event === 'restarted') {
      this.log.info(`autoreload: reloaded: new ${this.ready?.pool ?? ''} children run the new code`);
    } else {
      this.log.error(`autoreload: reload failed, the previous code keeps running: ${message.message}`);
    }
    this.reloading = false;
  }

  private onChange(files: string[]): void {
    if (this.stopping) return;
    const names = files.map(shown).join(', ');
    this.reloading = true;
    const child = this.child;
    if (this.respawn) {
      this.log.info(`autoreload: detected modified files: ${names}; the worker process replacing the current one will load them`);
    } else if (child === null) {
      this.log.info(`autoreload: detected modified files: ${names}; starting the worker`);
      this.spawn();
    } else if (this.ready?.restartable) {
      this.log.info(`autoreload: detected modified files: ${names}; restarting the ${this.ready.pool} pool (running tasks finish in the old children)`);
      const request: ToWorker = { cq: 'autoreload', event: 'pool_restart', files };
      if (child.connected) child.send(request);
    } else {
      const why = this.ready ? `${this.ready.pool} pool: warm shutdown, running tasks finish first` : 'it was still starting';
      this.log.info(`autoreload: detected modified files: ${names}; restarting the worker process (${why})`);
      this.respawn = true;
      child.kill('SIGTERM');
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.child = null;
    this.ready = null;
    if (this.stopping) return this.finish(code ?? 1);
    if (this.respawn) {
      this.respawn = false;
      this.spawn();
    } else if (code === 0) {
      this.log.info('autoreload: the worker stopped on its own (exit code 0): stopping');
      this.finish(0);
    } else {
      this.reloading = false;
      this.log.error(`autoreload: the worker exited (${signal ?? `exit code ${code}`}); the next change to the app starts it again`);
    }
  }

  /**
   * Passes each signal on (a second one escalates the worker's shutdown, as without --autoreload). A
   * worker already in the warm shutdown of a reload is not sent the first SIGINT/SIGTERM: that shutdown
   * stands for it, and it is not replaced.
   */
  private onSignal(signal: NodeJS.Signals): void {
    this.stopping = true;
    this.watcher.close();
    const reloadShutdown = this.respawn;
    this.respawn = false;
    if (this.child === null) this.finish(0);
    else if (!(reloadShutdown && signal !== 'SIGQUIT')) this.child.kill(signal);
  }

  private finish(code: number): void {
    this.watcher.close();
    this.resolveDone(code);
  }
}
