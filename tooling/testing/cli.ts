/**
 * Starting the `cq` command line in tests, tracked by `spawnTracked`, and the small waits tests use
 * around it. From source by default (`apps/cli/src/bin.ts` through tsx, with the `@cq/source`
 * condition); with `{ built: true }` as installed: the `cq` executable (`apps/cli/bin/cq.js`, its
 * launcher's Node flags included) running `dist/`, in {@link userEnv} — the packages must have been
 * built first (`buildPackages()`), and an app module given to `-A` should be JavaScript (a `.ts` one
 * brings the CLI's tsx along).
 */
import type { ChildProcess } from 'node:child_process';
import type { Host } from './hosts.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked, stopTracked } from './processes.js';

/** The repository's root directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The CLI's entry point, run from source. */
export const cqBin = path.join(repoRoot, 'apps/cli/src/bin.ts');

/** The installed entry point (`bin` of @cq/cli): its launcher, then `dist/bin.js`. */
export const cqBuiltBin = path.join(repoRoot, 'apps/cli/bin/cq.js');

/** A `cq` process whose stdout and stderr chunks are collected in `out` and `err`. */
export type CqProcess = ChildProcess & { out: string[]; err: string[] };

/** How to start `cq`. */
export interface CqOptions {
  /** Run the built CLI as installed ({@link cqBuiltBin}) instead of the sources. Default false. */
  built?: boolean;
}

/** `process.env` without `NODE_OPTIONS` and the variables npm/pnpm/vitest set, plus `extra`: a user's shell. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key === 'NODE_OPTIONS' || key.startsWith('npm_') || key.startsWith('PNPM_') || key.startsWith('VITEST') || key === 'INIT_CWD') delete env[key];
  }
  return { ...env, ...extra };
}

/**
 * Starts `cq <args>` from the repository root with `env` on top of `process.env` (built: of
 * {@link userEnv}); tracked, so it is stopped at the end of the test file at the latest. With `host`,
 * inside that network-namespace host.
 */
export function cq(args: readonly string[], env: Record<string, string> = {}, host?: Host, how: CqOptions = {}): CqProcess {
  const [file, argv] = how.built ? [cqBuiltBin, [...args]] : [process.execPath, ['--conditions=@cq/source', '--import', 'tsx', cqBin, ...args]];
  const options = { cwd: repoRoot, env: how.built ? userEnv(env) : { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  const child = (host ? host.spawn(file, argv, options) : spawnTracked(file, argv, options)) as CqProcess;
  child.out = [];
  child.err = [];
  child.stdout!.on('data', (d: Buffer) => child.out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.err.push(d.toString()));
  return child;
}

/**
 * Polls `predicate` every 25 ms until it is true.
 * @throws Error with `message()` once `timeoutMs` (ms) have passed.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string = () => 'condition not met'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts `cq worker <args>` (see {@link cq}; inside `host` when given, built with `how.built`) and resolves once it logged
 * `ready.`, within `timeoutMs` (ms, default 30 s).
 * @throws Error holding the worker's output when it did not get ready; the worker is stopped first.
 */
export async function cqWorker(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000, host?: Host, how: CqOptions = {}): Promise<CqProcess> {
  const worker = cq(['worker', ...args], env, host, how);
  try {
    await waitFor(() => worker.err.join('').includes('ready.'), timeoutMs, () => `worker did not start:\n${worker.err.join('')}${worker.out.join('')}`);
  } catch (err) {
    await stopTracked(worker);
    throw err;
  }
  return worker;
}

/** Resolves with the exit code of `child` once it has exited (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
