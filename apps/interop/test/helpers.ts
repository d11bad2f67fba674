/** Starting real Python Celery workers and clients, and cq workers, for the interop tests. */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { Worker, kombuJson, type Celery } from '@cq/celery';
import { PYTHON, execFileTracked, requirePython, spawnTracked, stopTracked } from '@cq/tooling/testing';

export { PYTHON };
/** What the Python side of the interop tests imports (py/interop_tasks.py). */
const PYTHON_PEER = ['celery', 'kombu', 'redis'] as const;
const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
const pyDir = path.resolve(here, '../py');

export type Proc = ChildProcess & { log: string[] };

function collect(child: ChildProcess): Proc {
  const proc = child as Proc;
  proc.log = [];
  child.stdout?.on('data', (d: Buffer) => proc.log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => proc.log.push(d.toString()));
  return proc;
}

/** Waits for `text` in the output; when it does not come, stops the process before throwing. */
async function until(proc: Proc, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.log.join('').includes(text)) {
    let problem = '';
    if (proc.exitCode !== null) problem = 'process exited early';
    else if (Date.now() > deadline) problem = `no "${text}" within ${timeoutMs} ms`;
    if (problem) {
      await stopTracked(proc);
      throw new Error(`${problem}:\n${proc.log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Urls {
  broker: string;
  backend: string;
  /** Queue both sides use (Python `task_default_queue`, cq `-Q`); keeps runs on one broker apart. */
  queue: string;
  /** The module `startCqWorker` gives `-A` (default ts/app.ts), e.g. ts/sqs-app.ts. */
  app?: string;
  /** The Python module of py/ the Python worker and client load (default interop_tasks), e.g. signed_tasks. */
  py?: string;
}

/** A real Python Celery worker (`python3 -m celery worker`) for py/interop_tasks.py. */
export async function startPythonWorker(urls: Urls, extra: string[] = [], env: Record<string, string> = {}): Promise<Proc> {
  const proc = collect(spawnTracked(requirePython(PYTHON_PEER), ['-m', 'celery', '-A', urls.py ?? 'interop_tasks', 'worker', '-P', 'solo', '-n', `py-${process.pid}@%h`, '-l', 'info', '--without-mingle', '--without-gossip', ...extra], {
    cwd: pyDir, env: { ...process.env, CQ_INTEROP_BROKER: urls.broker, CQ_INTEROP_BACKEND: urls.backend, CQ_INTEROP_QUEUE: urls.queue, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  await until(proc, 'ready.', 30_000);
  return proc;
}

/** A cq worker process (the CLI from source) for ts/app.ts; consumes `urls.queue` unless `extra` has `-Q`. */
export async function startCqWorker(urls: Urls, extra: string[] = [], env: Record<string, string> = {}): Promise<Proc> {
  const proc = collect(spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', path.join(repoRoot, 'apps/cli/src/bin.ts'),
    'worker', '-A', urls.app ?? path.resolve(here, '../ts/app.ts'), '-b', urls.broker, '--result-backend', urls.backend, '-l', 'info', '-P', 'async', '--no-banner',
    ...(extra.includes('-Q') ? [] : ['-Q', urls.queue]), ...extra], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  await until(proc, 'ready.', 30_000);
  return proc;
}

/** Stops a worker and everything it started (SIGTERM, SIGKILL after 10 s); nothing when it is undefined. */
export async function stop(proc: Proc | undefined): Promise<void> {
  if (proc) await stopTracked(proc);
}

/**
 * Starts workers side by side (`startTogether(startPythonWorker(...), startCqWorker(...))`). When one
 * fails to start, the others are stopped before the error is rethrown: with `Promise.all` they would
 * be left running, unassigned, consuming the shared queues until the file ends.
 */
export async function startTogether<T extends readonly Promise<Proc>[]>(...starts: T): Promise<{ -readonly [K in keyof T]: Proc }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? stop(s.value) : Promise.resolve())));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<Proc>).value) as { -readonly [K in keyof T]: Proc };
}

export interface PythonCallResult {
  id: string;
  state: string;
  result?: unknown;
  error?: string;
  message?: string;
}

/** A Python Celery client sends one task by name and waits for its result. */
export function pythonCall(urls: Urls, request: { name: string; args?: unknown[]; kwargs?: Record<string, unknown>; options?: Record<string, unknown>; timeout?: number }, env: Record<string, string> = {}): Promise<PythonCallResult> {
  return runClient(urls, request, env) as Promise<PythonCallResult>;
}

/** One call of {@link pythonSend}: `task_options` are set on the registered task (client side only). */
export interface PythonSendCall {
  name: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  options?: Record<string, unknown>;
  task_options?: Record<string, unknown>;
}

/** A Python Celery client sends tasks in order without waiting for them; resolves with their ids. */
export async function pythonSend(urls: Urls, calls: PythonSendCall[], env: Record<string, string> = {}): Promise<string[]> {
  return ((await runClient(urls, { send: calls }, env)) as { ids: string[] }).ids;
}

function runClient(urls: Urls, request: unknown, env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFileTracked(requirePython(PYTHON_PEER), [path.join(pyDir, `${urls.py ?? 'interop_tasks'}.py`), kombuJson.stringify(request)], {
      cwd: pyDir, env: { ...process.env, CQ_INTEROP_BROKER: urls.broker, CQ_INTEROP_BACKEND: urls.backend, CQ_INTEROP_QUEUE: urls.queue, ...env }, timeout: 60_000,
    }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python client failed: ${err.message}\n${stderr}`));
      resolve(kombuJson.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

/**
 * For one test file: an in-process cq worker (async pool) of `app` on `queue`, and a real Python worker
 * on `urls.queue`, started before its tests. After them both stop (Python first, then the cq worker
 * cold and the app closed), and only then `cleanup` runs, so nothing consumes what it deletes.
 */
export function usePairedWorkers(app: Celery, queue: string, urls: Urls, cleanup: () => Promise<void>): void {
  let worker: Worker | undefined;
  let python: Proc | undefined;
  beforeAll(async () => {
    worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 4, queues: [queue] });
    await worker.start();
    python = await startPythonWorker(urls);
  }, 60_000);
  afterAll(async () => {
    await stop(python);
    await worker?.shutdown('cold').catch(() => undefined);
    await app.close();
    await cleanup();
  });
}
