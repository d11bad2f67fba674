/**
 * Benchmark harness. For each broker given (default: the embedded SQLite broker in a temp dir):
 *
 * - **drain**: N `bench.noop` tasks are published first; then one worker process (`cq worker -P async
 *   -c C`) starts and runs them all. Rate = N / (last `date_done` − first `date_done`), i.e. from the
 *   first completion to the last, results stored.
 * - **round trip**: `applyAsync` + `get()` one after another, M times, with the worker idle otherwise;
 *   prints p50, p99 and max in ms.
 * - **publish**: tasks/s of `delay()` from one client, awaited in batches of 1,000.
 *
 * Usage: `pnpm bench [--n 20000] [--rt 500] [-c 100] [--pool async|prefork|threads|solo] [--broker URL --result-backend URL] [--peers all]`.
 * `--broker sqs://emulator` starts a private SQS emulator for the run (see README).
 * Figures depend on the machine; the README records them with the machine and method.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSqsEmulator } from '@cq/tooling/testing';
import { Celery, createBackend, redact, transportOptions } from './deps.js';
import { cpuSeconds, drainSeconds, publishMany, stop, untilBanner } from './drain.js';
import { runPeers } from './peers/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    rt: { type: 'string', default: '500' },
    c: { type: 'string', default: '100' },
    pool: { type: 'string', default: 'async' },
    broker: { type: 'string' },
    'result-backend': { type: 'string' },
    peers: { type: 'string' }, // `all` or e.g. `celery,bullmq`: see peers/index.ts
  },
});
const N = Number(opts.n);
const RT = Number(opts.rt);
const C = Number(opts.c);
/** The worker's pool (`-P`): async by default, so the figures measure the messaging path. */
const POOL = opts.pool;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cq-bench-'));
// `sqs://emulator`: fauxqs behind a front serving both SQS protocols, stopped at the end; cq and Python's
// kombu 5.2 reach it over http, which CQ_BENCH_TRANSPORT_OPTIONS (broker_transport_options, JSON) tells both.
const emulator = opts.broker === 'sqs://emulator' ? await startSqsEmulator() : undefined;
if (emulator) process.env['CQ_BENCH_TRANSPORT_OPTIONS'] ??= JSON.stringify({ is_secure: false, region: 'us-east-1' });
const broker = emulator ? `sqs://bench:bench@127.0.0.1:${emulator.port}` : opts.broker ?? `sqlite:///${tmp}/broker.db`;
const resultBackend = opts['result-backend'] ?? `sqlite:///${tmp}/results.db`;

function startWorker(): Promise<ReturnType<typeof spawn>> {
  // Logging at warning level: per-task info lines would measure the terminal, not cq.
  // CQ_BENCH_NODE_ARGS: extra node flags for the worker, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env['CQ_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--conditions=@cq/source', '--import', 'tsx', path.join(root, 'apps/cli/src/bin.ts'),
    'worker', '-A', path.join(here, 'app.ts'), '-P', POOL, '-b', broker, '--result-backend', resultBackend, '-c', String(C), '-l', process.env['CQ_BENCH_LOGLEVEL'] ?? 'warning'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return untilBanner(child).then(() => child);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const client = new Celery('bench-client', { broker_transport_options: transportOptions() }).configure({ brokerUrl: broker, resultBackend });
const noop = client.task('bench.noop', (n: number) => n);
console.log(`cq bench: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
console.log(`broker ${redact(broker)}, results ${redact(resultBackend)}, worker -P ${POOL} -c ${C}\n`);

// publish
let t0 = performance.now();
const ids = await publishMany(N, (i) => noop.delay(i));
const publishS = (performance.now() - t0) / 1000;
console.log(`publish     ${N} tasks in ${publishS.toFixed(2)} s = ${Math.round(N / publishS)} tasks/s (one client)`);

// drain
const worker = await startWorker();
const cpuAtStart = cpuSeconds(worker.pid!);
t0 = performance.now();
await client.asyncResult(ids[ids.length - 1]!).get({ timeout: 600, interval: 0.01 });
const backend = await createBackend(resultBackend);
const drainS = (await drainSeconds(backend, ids)).seconds;
console.log(`drain       ${N} tasks in ${drainS.toFixed(2)} s = ${Math.round(N / drainS)} tasks/s (first to last completion, results stored)`);
// CPU time is what a loaded machine does not distort: the worker's user + system seconds per task.
console.log(`            worker CPU ${((1e6 * (cpuSeconds(worker.pid!) - cpuAtStart)) / N).toFixed(0)} µs per task (user + system; ${Math.round(N / (cpuSeconds(worker.pid!) - cpuAtStart))} tasks per CPU-second)`);

// round trip
const lat: number[] = [];
for (let i = 0; i < RT; i++) {
  const s = performance.now();
  const r = await noop.applyAsync([i]);
  await r.get({ timeout: 30, interval: 0.001 });
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
console.log(`round trip  n=${RT}: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${lat[lat.length - 1]!.toFixed(2)} ms (applyAsync + get)`);

await stop(worker);
await backend.close();
await client.close();
rmSync(tmp, { recursive: true, force: true });
if (opts.peers) {
  await runPeers(opts.peers, { broker, resultBackend, n: N, rt: RT, c: C,
    cq: { system: `cq -P ${POOL} -c ${C}`, drain: N / drainS, publish: N / publishS, rtMs: lat } });
}
await emulator?.stop();
