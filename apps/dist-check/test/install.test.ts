/**
 * The packages as a user installs them. Once for the file: build, `pnpm pack` everything `@cq/cli`
 * needs into a temporary directory, then two new projects outside the repository, installed with
 * `npm install <tarballs>` at the same time:
 *
 * - `readme`: @cq/celery and @cq/cli (better-sqlite3 is compiled there when no prebuilt binary can
 *   be fetched), with the README's `tasks.ts` and `client.ts` as written in README.md; `cq worker -A
 *   tasks.ts` must run `add.delay(2, 3)` under `-P prefork`, `-P threads` and `-P async`: TypeScript
 *   task modules in every pool, from an installed CLI;
 * - `minimal`: examples/minimal with only @cq/app, @cq/worker, @cq/transport-redis and
 *   @cq/backend-redis (and tsx from the registry, to run its .ts files): no driver it does not use
 *   may be installed, and its worker and client must work.
 *
 * The durations of the phases are printed. Allow several minutes (hookTimeout in vitest.config.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages, execFileTracked, repoRoot, spawnTracked, stopTracked, userEnv, waitFor } from '@cq/tooling/testing';
import { closure, installedPackages, installProject, packPackages, readmeBlock } from './dist.js';

const exec = promisify(execFileTracked);
const root = mkdtempSync(path.join(os.tmpdir(), 'cq-dist-check-'));
const readmeProject = path.join(root, 'readme');
const minimalProject = path.join(root, 'minimal');
const timings: string[] = [];

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const began = performance.now();
  try {
    return await work();
  } finally {
    timings.push(`${label}: ${((performance.now() - began) / 1000).toFixed(1)} s`);
  }
}

beforeAll(async () => {
  await timed('build (turbo)', buildPackages);
  const packed = await timed('pack', () => packPackages(path.join(root, 'tarballs')));
  const tsx = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['tsx']!;
  const example = (name: string) => readFileSync(path.join(repoRoot, 'examples/minimal', name), 'utf8');
  await Promise.all([
    timed('npm install @cq/celery @cq/cli', () => installProject(readmeProject, closure(packed, ['@cq/celery', '@cq/cli']), {
      'tasks.ts': readmeBlock('tasks.ts'), 'client.ts': readmeBlock('client.ts'),
    })),
    timed('npm install of the minimal example', () => installProject(minimalProject, [...closure(packed, ['@cq/app', '@cq/worker', '@cq/transport-redis', '@cq/backend-redis']), `tsx@${tsx}`], {
      'tasks.ts': example('tasks.ts'), 'worker.ts': example('worker.ts'), 'client.ts': example('client.ts'),
    })),
  ]);
});

afterAll(() => {
  console.log(`dist-check timings:\n  ${timings.join('\n  ')}`);
  rmSync(root, { recursive: true, force: true });
});

/** Starts `file args` in `cwd` as a user would, and resolves once its output shows `ready.`. */
async function startReady(cwd: string, file: string, args: string[], env: Record<string, string> = {}) {
  const child = spawnTracked(path.join(cwd, file), args, { cwd, env: userEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`${file} ${args.join(' ')} exited with ${child.exitCode}:\n${output}`);
      return output.includes('ready.');
    }, 60_000, () => `${file} ${args.join(' ')} not ready within 60 s:\n${output}`);
  } catch (error) {
    await stopTracked(child, { graceMs: 2000 });
    throw error;
  }
  return { child, output: () => output };
}

describe('the README example, installed from the tarballs outside the repository', () => {
  it('installs no TypeScript sources in place of builds: the packages resolve to dist/', () => {
    const resolved = JSON.parse(readFileSync(path.join(readmeProject, 'node_modules/@cq/celery/package.json'), 'utf8')) as { exports: { '.': { import: string } } };
    expect(resolved.exports['.'].import).toBe('./dist/index.js');
    expect(installedPackages(readmeProject)).toContain('better-sqlite3');
  });

  it.each(['prefork', 'threads', 'async'])('cq worker -A tasks.ts -P %s runs add.delay(2, 3) from client.ts', async (pool) => {
    rmSync(path.join(readmeProject, '.cq'), { recursive: true, force: true }); // a fresh embedded broker per pool
    const worker = await startReady(readmeProject, 'node_modules/.bin/cq', ['worker', '-A', 'tasks.ts', '-P', pool, '-c', '2', '-l', 'info']);
    let exitCode: number | null;
    try {
      expect(worker.output()).toContain(`concurrency: 2 (${pool})`);
      const { stdout } = await exec(path.join(readmeProject, 'node_modules/.bin/tsx'), ['client.ts'], { cwd: readmeProject, env: userEnv(), timeout: 60_000 });
      expect(stdout.trim()).toBe('5');
    } finally {
      exitCode = await stopTracked(worker.child, { graceMs: 15_000 });
    }
    expect(exitCode).toBe(0);
    expect(worker.output()).toMatch(/Task proj\.add\[[0-9a-f-]+\] succeeded in [\d.]+s: 5/);
    expect(worker.output()).not.toMatch(/child .* exited with exitcode/);
  });
});

describe('the minimal example, installed from its four packages outside the repository', () => {
  it('has no driver it does not use in its dependency tree', () => {
    const installed = installedPackages(minimalProject);
    for (const name of ['@cq/app', '@cq/worker', '@cq/transport-redis', '@cq/backend-redis', 'ioredis']) expect(installed).toContain(name);
    const unused = [
      '@cq/celery', '@cq/cli', '@cq/beat', '@cq/transport-sqlite', '@cq/backend-sqlite', '@cq/transport-amqp', '@cq/backend-rpc',
      'better-sqlite3', 'amqplib', 'pg', 'mongodb',
    ];
    expect(unused.filter((name) => installed.has(name))).toEqual([]);
  });

  it('runs: its worker.ts serves its client.ts on Redis, then stops warmly', async () => {
    const env = { MINIMAL_QUEUE: `minimal-${randomUUID()}` };
    const worker = await startReady(minimalProject, 'node_modules/.bin/tsx', ['worker.ts'], env);
    let exitCode: number | null;
    try {
      const { stdout } = await exec(path.join(minimalProject, 'node_modules/.bin/tsx'), ['client.ts'], { cwd: minimalProject, env: userEnv(env), timeout: 60_000 });
      expect(JSON.parse(stdout.trim())).toEqual({ sum: 5, words: { count: 9, longest: 'quick' } });
    } finally {
      exitCode = await stopTracked(worker.child, { graceMs: 15_000 });
    }
    expect(exitCode).toBe(0);
  });
});
