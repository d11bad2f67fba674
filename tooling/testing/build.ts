/**
 * The packages as they are published, for the tests of what a user runs rather than the sources:
 * `buildPackages()` builds `@cq/cli` and every workspace package it depends on (`dist/`, ignored by
 * git) with `turbo run build`, which skips what did not change. Test files running at the same time
 * (the dist check, the worker-memory test) share one build: a lock directory under
 * `node_modules/.cache/cq-test/` lets one turbo run at a time, and the others then find its cache.
 *
 * Processes of a build run with {@link userEnv}: no `@cq/source` condition (vitest sets it for tests,
 * so that `@cq/*` imports resolve to `src/`) and no npm/pnpm script variables, as in a user's shell.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, userEnv } from './cli.js';
import { findExecutable } from './peers.js';
import { execFileTracked } from './processes.js';

const exec = promisify(execFileTracked);
const MINUTE = 60_000;

/** Environment of corepack calls: no download prompt, no signature check of recent pnpm releases. */
export const COREPACK_ENV = { COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', COREPACK_INTEGRITY_KEYS: '0' } as const;

/** The corepack executable: on PATH, or beside this Node. */
export function corepack(): string {
  return findExecutable('corepack') ?? path.join(path.dirname(process.execPath), 'corepack');
}

/**
 * PATH with a `pnpm` on it for turbo: unchanged when there is one, else with corepack's shims in
 * front (`corepack enable --install-directory`, the directory `tooling/run-tests.ts` uses too).
 */
async function pathWithPnpm(): Promise<string> {
  const current = process.env['PATH'] ?? '';
  if (findExecutable('pnpm')) return current;
  const shims = path.join(repoRoot, 'node_modules/.cache/cq-test/bin');
  mkdirSync(shims, { recursive: true });
  await exec(corepack(), ['enable', '--install-directory', shims, 'pnpm'], { env: { ...process.env, ...COREPACK_ENV } });
  return `${shims}${path.delimiter}${current}`;
}

/** True while process `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding the lock directory `dir` (made atomically; it names its holder's pid, so
 * the lock of a process that died is taken over). Waits up to `timeoutMs` for it.
 */
async function withLock<T>(dir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir, { recursive: false });
      writeFileSync(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = 0;
      try {
        holder = Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
      } catch {
        // just made, pid not written yet
      }
      if (holder > 0 && !alive(holder)) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for the build lock ${dir} (held by pid ${holder})`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds every package `@cq/cli` depends on, and the CLI (`turbo run build --filter=@cq/cli...`);
 * one build at a time on this machine. Takes minutes when everything changed, seconds when nothing did.
 * @throws Error with turbo's output when a package does not build.
 */
export async function buildPackages(): Promise<void> {
  const cache = path.join(repoRoot, 'node_modules/.cache/cq-test');
  mkdirSync(cache, { recursive: true });
  await withLock(path.join(cache, 'build.lock'), 30 * MINUTE, async () => {
    const env = { ...userEnv(COREPACK_ENV), PATH: await pathWithPnpm(), TURBO_TELEMETRY_DISABLED: '1' };
    await exec(path.join(repoRoot, 'node_modules/.bin/turbo'), ['run', 'build', '--filter=@cq/cli...', '--output-logs=errors-only'], {
      cwd: repoRoot, env, timeout: 20 * MINUTE,
    });
  });
}
