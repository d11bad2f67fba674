/**
 * Spawning the `cq` CLI from source in tests, with an isolated SQLite broker and backend. Processes
 * start through `@cq/tooling/testing` (`cq`), so each is stopped at the end of its test file at the latest.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Celery } from '@cq/celery';
import { cq, cqBin, exited, repoRoot, stopTracked, waitFor } from '@cq/tooling/testing';

export { cq, exited, repoRoot, waitFor };
export const bin = cqBin;
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

/** Runs `cq <args>` to completion. */
export async function cqRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cq(args, env);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout: child.out.join(''), stderr: child.err.join('') };
}

/** Starts a worker for the fixture app and resolves once it logged that it is ready; stops it when it does not get there. */
export async function startWorker(box: Sandbox, extra: string[] = [], env: Record<string, string> = {}) {
  const child = cq(['worker', '-A', fixtureApp, ...box.flags, '-l', 'info', '-P', 'async', ...extra], env);
  try {
    await waitFor(() => child.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${child.err.join('')}`);
  } catch (err) {
    await stopTracked(child);
    throw err;
  }
  return child;
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
    await ctx.client?.close();
    if (ctx.worker) await stopTracked(ctx.worker);
  });
  return ctx;
}
