/**
 * What the examples' tests share: running an example's `.ts` file as its own Node process (through
 * tsx, with the `@cq/source` condition the test environment sets in NODE_OPTIONS) with
 * `@cq/tooling/testing`, so every process is stopped at the end of its test file even when a test fails.
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { execFileTracked, spawnTracked, stopTracked, waitFor } from '@cq/tooling/testing';

/** tsx's loader as a file URL, for `--import`. */
export const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A started process whose stdout and stderr are collected in `output` (interleaved as they come). */
export type Started = ChildProcess & { output: () => string };

/**
 * Starts `node --import tsx <file> ...args` in `cwd` with `env` on top of `process.env` and resolves
 * once its output matches `ready` (with `tsx: false`: `node <file> ...args`, for a JavaScript entry
 * point). When it exits or does not get there within `timeoutMs` (ms), it is stopped and the promise
 * rejects with its output.
 */
export async function start(file: string, options: { args?: string[]; cwd: string; env?: Record<string, string>; ready: RegExp; timeoutMs?: number; tsx?: boolean }): Promise<Started> {
  const loader = options.tsx === false ? [] : ['--import', TSX];
  const child = spawnTracked(process.execPath, [...loader, file, ...(options.args ?? [])], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  }) as Started;
  const chunks: string[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.output = () => chunks.join('');
  try {
    await waitFor(() => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${file} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${child.output()}`);
      return options.ready.test(child.output());
    }, options.timeoutMs ?? 60_000, () => `${file} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${child.output()}`);
  } catch (error) {
    await stopTracked(child, { graceMs: 2000 });
    throw error;
  }
  return child;
}

/** Runs `node --import tsx <file>` to completion; rejects on a non-zero exit or after `timeoutMs` (ms). */
export function run(file: string, options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFileTracked)(process.execPath, ['--import', TSX, file], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000,
  });
}

/** Stops a started process with SIGTERM (SIGKILL after `graceMs`) and resolves with its exit code. */
export function stop(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  return stopTracked(child, { graceMs });
}
