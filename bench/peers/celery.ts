/**
 * Python Celery peer (`/usr/bin/python3 -m celery`, Debian's Celery 5.2.6), driven from Node:
 * celery_bench.py holds the same `bench.noop` task as bench/app.ts and a small client.
 *
 * - publish: Python's own client, `apply_async` N times in a loop (Python's client is synchronous; there is
 *   no batch to await). These N tasks are the drain set, as in cq's harness.
 * - drain: one `celery worker -P <pool> -c <c>` starts on them; rate from first to last `date_done`, read
 *   with cq's result-backend client exactly as bench/run.ts reads cq's own (the wire format is the same).
 * - round trip: Python's client, `apply_async` + `get()`, M times, worker otherwise idle.
 * - CPU per task: the worker and its pool processes (from `/proc`) and the broker server's when its pid
 *   is given, from the first result stored to the last, over the tasks completed in that span (as cq's).
 *   The Python client's is not counted (its start-up would dominate).
 *
 * Queue and exchange `bench.peer.celery`; cleanup deletes them and the results it wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, parseIsoDate } from '../deps.js';
import { treeCpuSeconds, untilBanner } from '../drain.js';
import { drainRate, type PeerFigures } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

export interface CeleryOptions {
  broker: string;
  /** Must be one cq can read too (redis://), since the drain is measured from stored `date_done`. */
  resultBackend: string;
  n: number;
  rt: number;
  /** `prefork` (Celery's default; -c = CPUs) or `solo` (one process, no pool IPC). */
  pool: 'prefork' | 'solo';
  concurrency: number;
  /** The broker server's pid, for its CPU per task; undefined: not reported. */
  brokerPid?: number | undefined;
}

/**
 * Publishes N, drains them with a fresh worker, times M round trips, stops the worker and cleans up.
 * Resolves rates in tasks/s and sorted round trips in ms. Throws if the worker exits early, the drain
 * takes over 600 s, or a client step exits non-zero (its stderr in the message).
 */
export async function runCelery(o: CeleryOptions): Promise<PeerFigures> {
  const env = { ...process.env, CQ_BENCH_BROKER: o.broker, CQ_BENCH_RESULT_BACKEND: o.resultBackend };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cq-bench-celery-'));
  const idsFile = path.join(tmp, 'ids.json');
  let worker: ChildProcess | undefined;
  try {
    await client(env, ['cleanup']);
    const { seconds } = (await client(env, ['publish', String(o.n), idsFile])) as { seconds: number };
    const ids = JSON.parse(readFileSync(idsFile, 'utf8')) as string[];

    worker = spawn(PYTHON, ['-m', 'celery', '-A', 'celery_bench', 'worker', '-P', o.pool, '-c', String(o.concurrency),
      '-l', 'warning', '--without-mingle', '--without-gossip', '--without-heartbeat'],
    { cwd: here, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    worker.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    await untilBanner(worker, '[queues]');
    const cpu = { worker: () => treeCpuSeconds(worker!.pid!), broker: () => (o.brokerPid === undefined ? 0 : treeCpuSeconds(o.brokerPid)) };
    const { drain, counted, workerCpu, brokerCpu } = await waitDrain(o.resultBackend, ids, worker, () => stderr, cpu);
    const workerCpuUs = (1e6 * workerCpu) / counted;
    const brokerCpuUs = o.brokerPid === undefined ? undefined : (1e6 * brokerCpu) / counted;

    const { ms } = (await client(env, ['rt', String(o.rt)])) as { ms: number[] };
    ms.sort((a, b) => a - b);
    return { system: `celery ${await celeryVersion()} -P ${o.pool} -c ${o.concurrency}`, drain, publish: o.n / seconds, rtMs: ms, workerCpuUs, brokerCpuUs };
  } finally {
    if (worker) await stop(worker);
    await client(env, ['cleanup', idsFile]).catch((e: unknown) => console.error(`celery peer cleanup: ${String(e)}`));
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Waits for the drain; resolves its rate (tasks/s), and the worker's and broker's CPU seconds (from
 * `cpu`) from the moment the first task's result was seen to the end, with the tasks completed in that span.
 */
async function waitDrain(resultBackend: string, ids: string[], worker: ChildProcess, stderr: () => string,
  cpu: { worker: () => number; broker: () => number }): Promise<{ drain: number; counted: number; workerCpu: number; brokerCpu: number }> {
  const backend = await createBackend(resultBackend);
  const t0 = performance.now();
  const poll = async (batch: string[], everyMs: number) => {
    for (;;) {
      if (worker.exitCode !== null) throw new Error(`celery worker exited with ${worker.exitCode}: ${stderr()}`);
      if (performance.now() - t0 > 600_000) throw new Error('celery drain: not done after 600 s');
      const metas = await backend.getManyTaskMeta(batch);
      if (metas.every((m) => m.status === 'SUCCESS')) return metas;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  try {
    // The first task (CPU is counted from its result on), then the last one published (one key, not N:
    // an MGET of 20,000 keys every tick would take CPU from the worker being measured), then all of them.
    await poll(ids.slice(0, 1), 5);
    const from = { at: Date.now(), worker: cpu.worker(), broker: cpu.broker() };
    await poll(ids.slice(-1), 50);
    const workerCpu = cpu.worker() - from.worker;
    const brokerCpu = cpu.broker() - from.broker;
    const metas = await poll(ids, 200);
    const done = metas.map((m) => parseIsoDate(m.date_done!).getTime());
    return { drain: drainRate(ids.length, done), counted: Math.max(1, done.filter((t) => t >= from.at).length), workerCpu, brokerCpu };
  } finally {
    await backend.close();
  }
}

/** Runs celery_bench.py with `args`; resolves its one JSON line of output. */
function client(env: NodeJS.ProcessEnv, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['celery_bench.py', ...args], { cwd: here, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!));
      else reject(new Error(`celery_bench.py ${args[0]} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

/** Warm shutdown (SIGTERM), SIGKILL after 20 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

let version: string | undefined;
async function celeryVersion(): Promise<string> {
  version ??= await new Promise<string>((resolve) => {
    const child = spawn(PYTHON, ['-c', 'import celery; print(celery.__version__)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', () => resolve(out.trim() || '?'));
  });
  return version;
}
