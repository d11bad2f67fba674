/**
 * The scenario of cq issue 3: a worker (a `cq worker` process for `fixtures/slow-app.ts`) consumes
 * acks_late tasks while a client publishes them at a steady pace; the broker is restarted while both
 * are busy. Each run of `proj.slow` appends its number to a log file, so executions are counted
 * outside the broker and survive its restart.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { Celery } from '@cq/celery';
import { cq, exited, stopTracked, waitFor } from '@cq/tooling/testing';

const slowApp = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/slow-app.ts');

export interface RestartUnderLoadOptions {
  /** Broker URL of the private broker. */
  broker: string;
  /** Restarts the broker; called once, while publishing and consuming are under way. */
  restart: () => Promise<void>;
  /** Tasks to publish. Default 2000. */
  total?: number;
  /**
   * Time over which the tasks are published while the broker is up, in ms. Default 6000: faster than
   * the worker runs them, so a backlog sits in the queue when the broker goes.
   */
  paceMs?: number;
  /** How long each task sleeps, in ms, so some are mid-run and unacked when the broker goes. Default 40. */
  taskMs?: number;
  /** Publishes in flight at once. Default 4. */
  lanes?: number;
  /** Extra environment of the worker process (e.g. `CQ_TEST_VISIBILITY_TIMEOUT`, read by the fixture app). */
  workerEnv?: Record<string, string>;
  /** Extra client settings (e.g. `task_publish_retry_policy`). */
  clientConfig?: Record<string, unknown>;
}

export interface RestartUnderLoadOutcome {
  /** The queue the tasks went through (`chaos.<rand>`). */
  queue: string;
  total: number;
  /** Publishes that resolved (the broker confirmed them). */
  published: number;
  /** Errors of publishes that rejected, as `<id>: <message>`. */
  failedPublishes: string[];
  /** Executions recorded (one line per run). */
  executions: number;
  /** Distinct task numbers that ran. */
  ran: number;
  /** executions − ran: tasks that ran more than once (allowed with acks_late after a restart). */
  duplicates: number;
  /** Task numbers published but never run, lowest first. */
  missing: number[];
  /** Executions recorded before the restart began, and after it finished. */
  ranBeforeRestart: number;
  ranAfterRestart: number;
  /** Publishes that had resolved when the restart began. */
  publishedBeforeRestart: number;
  /** How long the restart took, and the time from its end to the last execution, in ms. */
  restartMs: number;
  drainMs: number;
  /** Whether the worker process was still running when every task had run. */
  workerAlive: boolean;
  /**
   * How the worker ended on the SIGTERM sent after the run (warm shutdown over the reconnected
   * broker): exit code (null when it had to be killed) and time taken in ms.
   */
  workerExit: { code: number | null; ms: number };
  /** The worker's stderr (its log), for failure messages. */
  workerLog: string;
}

/** Runs the scenario. Always stops the worker and closes the client; leaves the broker running. */
export async function restartUnderLoad(options: RestartUnderLoadOptions): Promise<RestartUnderLoadOutcome> {
  const total = options.total ?? 2000;
  const paceMs = options.paceMs ?? 6000;
  const lanes = options.lanes ?? 4;
  const taskMs = options.taskMs ?? 40;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-chaos-'));
  const backend = `sqlite:///${dir}/results.db`;
  const queue = `chaos.${randomUUID().slice(0, 8)}`;
  const log = path.join(dir, 'runs.log');
  const runs = (): number[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : []);

  const worker = cq(['worker', '-A', slowApp, '-b', options.broker, '--result-backend', backend, '-l', 'info', '-P', 'async', '-Q', queue, '-c', '8'],
    { ...options.workerEnv, CQ_TEST_LOG: log });
  await waitFor(() => worker.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${worker.err.join('')}`).catch(async (err: unknown) => {
    await stopTracked(worker);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const client = new Celery('chaos-client', { task_default_queue: queue, ...options.clientConfig }).configure({ brokerUrl: options.broker, resultBackend: backend });
  const failedPublishes: string[] = [];
  let published = 0;
  // Set inside `lane` (a closure): typed so that TypeScript does not narrow it to `null` below.
  let restart = null as Promise<void> | null;
  let restartBegan = 0;
  let restartEnded = 0;
  let ranBeforeRestart = 0;
  let ranAtRestartEnd = 0;
  let publishedBeforeRestart = 0;
  try {
    const start = Date.now();
    const lane = async (first: number) => {
      for (let id = first; id < total; id += lanes) {
        const due = start + (id * paceMs) / total;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        if (restart === null && id >= total / 3) {
          // Both sides are busy now: the worker has run tasks and publishes are in flight.
          await waitFor(() => runs().length > 0, 20_000, () => `the worker ran nothing before the restart:\n${worker.err.join('')}`);
          ranBeforeRestart = runs().length;
          publishedBeforeRestart = published;
          restartBegan = Date.now();
          restart = options.restart().then(() => {
            restartEnded = Date.now();
            ranAtRestartEnd = runs().length;
          });
        }
        try {
          await client.sendTask('proj.slow', [id, taskMs], { ignoreResult: true });
          published++;
        } catch (err) {
          failedPublishes.push(`${id}: ${String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
    await restart;
    const wanted = total - failedPublishes.length;
    await waitFor(() => new Set(runs()).size >= wanted, 45_000, () => `only ${new Set(runs()).size} of ${wanted} tasks ran`).catch(() => undefined);
    const drainMs = Date.now() - restartEnded;
    const all = runs();
    const distinct = new Set(all);
    const missing: number[] = [];
    for (let id = 0; id < total; id++) if (!distinct.has(id)) missing.push(id);
    const workerAlive = worker.exitCode === null && worker.signalCode === null;
    const workerExit = await stopWorker(worker);
    return {
      queue, total, published, failedPublishes, executions: all.length, ran: distinct.size, duplicates: all.length - distinct.size, missing,
      ranBeforeRestart, ranAfterRestart: all.length - ranAtRestartEnd, publishedBeforeRestart,
      restartMs: restartEnded - restartBegan, drainMs, workerAlive, workerExit, workerLog: worker.err.join(''),
    };
  } finally {
    await client.close().catch(() => undefined);
    await stopWorker(worker);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then SIGKILL after 15 s; resolves with the exit code (null when killed) and the time taken. */
export async function stopWorker(worker: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const began = Date.now();
  if (worker.exitCode !== null || worker.signalCode !== null) return { code: worker.exitCode, ms: 0 };
  worker.kill('SIGTERM');
  const timer = setTimeout(() => worker.kill('SIGKILL'), 15_000);
  const code = await exited(worker);
  clearTimeout(timer);
  return { code, ms: Date.now() - began };
}

/** A one-line summary for test output: published, ran, duplicates, missing. */
export function summary(name: string, o: RestartUnderLoadOutcome): string {
  return `${name}: published ${o.published}/${o.total} (failed ${o.failedPublishes.length}), ran ${o.ran} distinct in ${o.executions} executions `
    + `(${o.duplicates} duplicates), missing ${o.missing.length}${o.missing.length ? ` [${o.missing.slice(0, 10).join(', ')}]` : ''}; restart took ${o.restartMs} ms with ${o.publishedBeforeRestart - o.ranBeforeRestart} `
    + `queued or running, ${o.ranBeforeRestart} ran before it, ${o.ranAfterRestart} after it; worker exit ${o.workerExit.code} in ${o.workerExit.ms} ms`;
}

/**
 * The assertions of issue 3: no publish failed, every task ran at least once (duplicates allowed),
 * and the worker ran tasks before and after the restart, stayed up, and shut down cleanly.
 */
export function expectNothingLost(o: RestartUnderLoadOutcome): void {
  expect(o.failedPublishes).toEqual([]);
  expect(o.published).toBe(o.total);
  expect(o.ranBeforeRestart).toBeGreaterThan(0);
  expect(o.missing, o.workerLog.slice(-3000)).toEqual([]);
  expect(o.ranAfterRestart).toBeGreaterThan(0);
  expect(o.workerAlive).toBe(true);
  expect(o.workerExit.code).toBe(0);
}
