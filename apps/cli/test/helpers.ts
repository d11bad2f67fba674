/** Spawning the `cq` CLI from source in tests, with an isolated SQLite broker and backend. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { Celery } from '@cq/celery';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const bin = path.join(repoRoot, 'apps/cli/src/bin.ts');
export const fixtureApp = path.join(repoRoot, 'apps/cli/test/fixtures/app.ts');

export interface Sandbox {
  dir: string;
  broker: string;
  backend: string;
  /** `-b` and `--result-backend` flags for this sandbox. */
  flags: string[];
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-cli-'));
  const broker = `sqlite:///${dir}/broker.db`;
  const backend = `sqlite:///${dir}/results.db`;
  return { dir, broker, backend, flags: ['-b', broker, '--result-backend', backend] };
}

/** Starts `cq <args>`; the returned process has its output collected in `out`/`err`. */
export function cq(args: string[], env: Record<string, string> = {}): ChildProcess & { out: string[]; err: string[] } {
  const child = spawn(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', bin, ...args], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { out: string[]; err: string[] };
  child.out = [];
  child.err = [];
  child.stdout!.on('data', (d: Buffer) => child.out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.err.push(d.toString()));
  return child;
}

/** Runs `cq <args>` to completion. */
export async function cqRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cq(args, env);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout: child.out.join(''), stderr: child.err.join('') };
}

/** Starts a worker for the fixture app and resolves once it logged that it is ready. */
export async function startWorker(box: Sandbox, extra: string[] = [], env: Record<string, string> = {}) {
  const child = cq(['worker', '-A', fixtureApp, ...box.flags, '-l', 'info', '-P', 'async', ...extra], env);
  await waitFor(() => child.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${child.err.join('')}`);
  return child;
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string = () => 'condition not met'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Registers beforeAll/afterAll hooks that give the tests of a `describe` one sandbox, one client app
 * and one worker process for the fixture app. Read the fields inside tests, after the hooks ran.
 */
export function useWorker(extra: string[] = []): { box: Sandbox; client: Celery; worker: Awaited<ReturnType<typeof startWorker>> } {
  const ctx = {} as { box: Sandbox; client: Celery; worker: Awaited<ReturnType<typeof startWorker>> };
  beforeAll(async () => {
    ctx.box = sandbox();
    ctx.client = new Celery('client').configure({ brokerUrl: ctx.box.broker, resultBackend: ctx.box.backend });
    ctx.worker = await startWorker(ctx.box, extra);
  });
  afterAll(async () => {
    await ctx.client.close();
    if (ctx.worker.exitCode === null) {
      ctx.worker.kill('SIGTERM');
      await exited(ctx.worker);
    }
  });
  return ctx;
}
