/**
 * The one way tests start processes, so none outlives the test run.
 *
 * - `spawnTracked` starts a process in a process group of its own (`detached: true`, so its children
 *   and their children are in it too), tags it with `CQ_TEST_RUN=<run id>` in its environment, and
 *   registers it for teardown the moment it is spawned.
 * - `stopTracked` stops one: SIGTERM to the group, SIGKILL to the group after `graceMs`, then a last
 *   SIGKILL for whatever of the group is left once the leader is gone.
 * - `stopAllTracked` stops every registered process. The vitest setup file (`vitest-setup.ts`, in every
 *   project through `projectDefaults`) runs it after each test file, whether its tests passed or
 *   failed; a process `exit` handler SIGKILLs what is still registered if the worker exits first.
 * - `execFileTracked` is `child_process.execFile` on top of `spawnTracked` (same callback, same
 *   `util.promisify` shape); a timeout stops the whole group.
 *
 * What escapes a group (a daemon that calls setsid itself) still carries the tag: the run's global
 * teardown (`global-setup.ts`) finds it in /proc, kills it and fails the run.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

/** The environment variable that tags every process of a test run. */
export const RUN_TAG = 'CQ_TEST_RUN';

/**
 * The id of this test run: `CQ_TEST_RUN` as set by the global setup (inherited by the vitest
 * workers). Outside vitest (a script using these helpers), a fresh id is made and put in this
 * process's environment, so everything it starts carries the same tag.
 */
export function testRunId(): string {
  const id = process.env[RUN_TAG];
  if (id) return id;
  const made = `local-${randomUUID()}`;
  process.env[RUN_TAG] = made;
  return made;
}

// One registry per process, shared by every module instance (vitest evaluates modules per test file).
const REGISTRY = Symbol.for('cq.tooling.trackedProcesses');
const globals = globalThis as typeof globalThis & { [REGISTRY]?: Set<ChildProcess> };

function registry(): Set<ChildProcess> {
  let live = globals[REGISTRY];
  if (!live) {
    live = new Set();
    globals[REGISTRY] = live;
    const tracked = live;
    process.once('exit', () => {
      for (const child of tracked) signalGroup(child, 'SIGKILL');
    });
  }
  return live;
}

/** Sends `signal` to the process group of `child`; false when the group is gone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Resolves once `child` has exited (at once when it has), or after `ms`; true when it exited. */
function exitWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child) || child.pid === undefined) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * `child_process.spawn` for tests: the child leads a new process group (`detached` is forced on),
 * carries `CQ_TEST_RUN=<run id>` on top of `options.env` (default `process.env`), and is stopped by
 * `stopAllTracked` at the end of the test file even when it is never stopped otherwise.
 */
export function spawnTracked(command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true, env: { ...(options.env ?? process.env), [RUN_TAG]: testRunId() } });
  if (child.pid === undefined) return child; // spawn failed: 'error' follows, nothing to track
  const live = registry();
  live.add(child);
  child.once('exit', () => {
    if (!signalGroup(child, 0)) live.delete(child); // its group is empty: nothing left to stop
  });
  return child;
}

export interface StopOptions {
  /** Time between SIGTERM and SIGKILL, in ms. Default 10 000. */
  graceMs?: number;
}

/**
 * Stops a process started by `spawnTracked` and everything in its group: SIGTERM to the group,
 * SIGKILL after `graceMs` when the leader is still up, then SIGKILL to what is left of the group.
 * Resolves with the leader's exit code (null when a signal ended it). Never rejects.
 */
export async function stopTracked(child: ChildProcess, options: StopOptions = {}): Promise<number | null> {
  const live = registry();
  if (!live.has(child)) return child.exitCode; // never started, or stopped with its whole group already
  if (!hasExited(child)) {
    signalGroup(child, 'SIGTERM');
    if (!(await exitWithin(child, options.graceMs ?? 10_000))) {
      signalGroup(child, 'SIGKILL');
      await exitWithin(child, 10_000);
    }
  }
  signalGroup(child, 'SIGKILL');
  live.delete(child);
  return child.exitCode;
}

/** Stops every process `spawnTracked` started in this process and has not seen stopped. */
export async function stopAllTracked(options: StopOptions = {}): Promise<void> {
  await Promise.all([...registry()].map((child) => stopTracked(child, options)));
}

/** The processes registered for teardown in this process (leaders whose group may still have members). */
export function trackedProcesses(): ChildProcess[] {
  return [...registry()];
}

export interface ExecFileTrackedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Stop the process group after this many ms (as execFile's `timeout`). Default: no limit. */
  timeout?: number;
  /** Written to stdin, which is then closed. Default: stdin ignored. */
  input?: string | Buffer;
}

/** The error `execFileTracked` passes on a failure, shaped like execFile's `ExecFileException`. */
export interface ExecFileTrackedError extends Error {
  /** Exit code, or the spawn error's code (`ENOENT`). */
  code?: number | string | null;
  signal?: NodeJS.Signals | null;
  /** True when `timeout` stopped it. */
  killed?: boolean;
  stdout?: string;
  stderr?: string;
}

export type ExecFileTrackedCallback = (error: ExecFileTrackedError | null, stdout: string, stderr: string) => void;

function execFileTrackedImpl(file: string, args: readonly string[], options: ExecFileTrackedOptions, callback: ExecFileTrackedCallback): ChildProcess {
  const child = spawnTracked(file, args, { cwd: options.cwd, env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let timedOut = false;
  const timer = options.timeout === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    void stopTracked(child, { graceMs: 2000 });
  }, options.timeout);
  let done = false;
  const finish = (error: ExecFileTrackedError | null) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    if (error) Object.assign(error, { stdout, stderr });
    callback(error, stdout, stderr);
  };
  child.once('error', (err) => finish(err));
  child.once('close', (code, signal) => {
    if (code === 0 && !timedOut) return finish(null);
    const why = timedOut ? `timed out after ${options.timeout} ms` : signal ? `killed by ${signal}` : `exit code ${code}`;
    const error: ExecFileTrackedError = new Error(`Command failed (${why}): ${file} ${args.join(' ')}\n${stderr}`);
    finish(Object.assign(error, { code, signal, killed: timedOut }));
  });
  return child;
}

type ExecFileTracked = typeof execFileTrackedImpl & {
  [promisify.custom]: (file: string, args: readonly string[], options?: ExecFileTrackedOptions) => Promise<{ stdout: string; stderr: string }>;
};

/**
 * `child_process.execFile` on `spawnTracked`: runs `file` with `args`, collects stdout and stderr as
 * UTF-8, and calls back once with an error when it could not start, exited non-zero, was signalled
 * or ran past `timeout` (which stops the whole group). `util.promisify(execFileTracked)` resolves
 * with `{ stdout, stderr }` and rejects with the error (carrying `stdout` and `stderr`), as for execFile.
 */
export const execFileTracked: ExecFileTracked = Object.assign(execFileTrackedImpl, {
  [promisify.custom]: (file: string, args: readonly string[], options: ExecFileTrackedOptions = {}) =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFileTrackedImpl(file, args, options, (error, stdout, stderr) => (error ? reject(error) : resolve({ stdout, stderr })));
    }),
});
