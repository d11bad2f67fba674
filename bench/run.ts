/**
 * Benchmark harness. For each broker given (default: the embedded SQLite broker in a temp dir):
 *
 * - **drain**: N `bench.noop` tasks are published first; then one worker process (`cq worker -P async
 *   -c C`) starts and runs them all. Rate = N / (last `date_done` − first `date_done`), i.e. from the
 *   first completion to the last, results stored.
 * - **round trip**: `applyAsync` + `get()` one after another, M times, with the worker idle otherwise;
 *   prints p50, p99 and max in ms.
 * - **publish**: tasks/s of `delay()` from one client, awaited in batches of 1,000.
 * - **CPU per task**: user + system CPU of the worker process (and its pool children) and of the broker
 *   server when it runs here (found by its listening port), from the first task's run (app.ts prints
 *   it) to the last result, divided by the tasks completed in that span; and this client's while it
 *   publishes, per task; in µs. A busy machine stretches wall-clock rates; CPU per task it distorts far
 *   less, so it is the figure to compare between runs. `CQ_BENCH_WORKER_ARGS` adds `cq worker` flags.
 *
 * Usage: `pnpm bench [--n 20000] [--rt 500] [-c 100] [--pool async|prefork|threads|solo] [--profile default|fast]
 * [--broker URL --result-backend URL] [--peers all]`.
 * `--profile fast` runs client and worker with `fastProfile` (@cq/celery: transient messages, results
 * ignored, early acks, a large prefetch): the drain is then timed by the task itself (first to last run),
 * since nothing is stored, and there is no round trip.
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
import { Celery, createBackend, fastProfile, redact, transportOptions } from './deps.js';
import { brokerPid, drainSeconds, publishMany, stop, treeCpuSeconds, untilBanner } from './drain.js';
import { runPeers } from './peers/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    rt: { type: 'string', default: '500' },
    c: { type: 'string', default: '100' },
    pool: { type: 'string', default: 'async' },
    profile: { type: 'string', default: 'default' },
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
if (opts.profile !== 'default' && opts.profile !== 'fast') throw new Error(`--profile: default or fast, not ${opts.profile}`);
const FAST = opts.profile === 'fast';
// The worker's app (app.ts) reads both: the profile, and N for the fast profile's own drain timing.
process.env['CQ_BENCH_PROFILE'] = opts.profile;
process.env['CQ_BENCH_N'] = String(N);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cq-bench-'));
// `sqs://emulator`: fauxqs behind a front serving both SQS protocols, stopped at the end; cq and Python's
// kombu 5.2 reach it over http, which CQ_BENCH_TRANSPORT_OPTIONS (broker_transport_options, JSON) tells both.
const emulator = opts.broker === 'sqs://emulator' ? await startSqsEmulator() : undefined;
if (emulator) process.env['CQ_BENCH_TRANSPORT_OPTIONS'] ??= JSON.stringify({ is_secure: false, region: 'us-east-1' });
const broker = emulator ? `sqs://bench:bench@127.0.0.1:${emulator.port}` : opts.broker ?? `sqlite:///${tmp}/broker.db`;
const resultBackend = opts['result-backend'] ?? `sqlite:///${tmp}/results.db`;

function startWorker(): Promise<{ child: ReturnType<typeof spawn>; firstRun: Promise<number[]>; drainLine: Promise<number[]> | null }> {
  // Logging at warning level: per-task info lines would measure the terminal, not cq.
  // CQ_BENCH_NODE_ARGS: extra node flags for the worker, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env['CQ_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--conditions=@cq/source', '--import', 'tsx', path.join(root, 'apps/cli/src/bin.ts'),
    'worker', '-A', path.join(here, 'app.ts'), '-P', POOL, '-b', broker, '--result-backend', resultBackend, '-c', String(C), '-l', process.env['CQ_BENCH_LOGLEVEL'] ?? 'warning',
    ...(process.env['CQ_BENCH_WORKER_ARGS'] ?? '').split(' ').filter(Boolean)],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  // A bench that fails must not leave its worker behind.
  process.once('exit', () => child.kill('SIGKILL'));
  // Listening from the start: the first run can come before the banner's 300 ms are over.
  const firstRun = stdoutLine(child, /cq-bench-first (\d+(?:\.\d+)?)/);
  const drainLine = FAST ? stdoutLine(child, /cq-bench-drain (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)/) : null;
  firstRun.catch(() => undefined);
  drainLine?.catch(() => undefined);
  return untilBanner(child).then(() => ({ child, firstRun, drainLine }));
}

/**
 * Resolves with the numbers of the first line matching `pattern` that `child` prints on stdout from now
 * on (app.ts prints `cq-bench-first <ms>` at its first run and, fast profile, `cq-bench-drain <first ms> <last ms>`).
 * @throws Error when the worker exits first.
 */
function stdoutLine(child: ReturnType<typeof spawn>, pattern: RegExp): Promise<number[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-4096);
      const m = pattern.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve(m.slice(1).map(Number));
    };
    const onExit = (code: number | null) => reject(new Error(`worker exited with ${code} before printing ${pattern.source}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const client = new Celery('bench-client', { ...(FAST ? fastProfile : {}), broker_transport_options: transportOptions() }).configure({ brokerUrl: broker, resultBackend });
const noop = client.task('bench.noop', (n: number) => n);
console.log(`cq bench: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
const serverPid = brokerPid(broker);
const serverCpu = () => (serverPid === undefined ? 0 : treeCpuSeconds(serverPid));
const perTaskUs = (seconds: number) => (1e6 * seconds) / N;
console.log(`broker ${redact(broker)}${serverPid === undefined ? '' : ` (server pid ${serverPid})`}, results ${redact(resultBackend)}, worker -P ${POOL} -c ${C}, profile ${opts.profile}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

// publish
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const ids = await publishMany(N, (i) => noop.delay(i));
const publishS = (performance.now() - t0) / 1000;
const cpuPublish = process.cpuUsage(cpu0);
const clientCpuUs = perTaskUs((cpuPublish.user + cpuPublish.system) / 1e6);
console.log(`publish     ${N} tasks in ${publishS.toFixed(2)} s = ${Math.round(N / publishS)} tasks/s (one client; client CPU ${clientCpuUs.toFixed(0)} µs per task)`);

// drain
const { child: worker, firstRun, drainLine } = await startWorker();
// CPU is counted from the first task's run (start-up and module loading left out), over the tasks
// completed from then on: what a loaded machine distorts least, user + system seconds per task.
await firstRun;
const cpuFrom = { at: Date.now(), worker: treeCpuSeconds(worker.pid!), server: serverCpu() };
let drainS: number;
let counted: number;
let backend: Awaited<ReturnType<typeof createBackend>> | undefined;
if (drainLine) {
  const [first, last] = (await drainLine) as [number, number];
  drainS = Math.max(0.001, (last - first) / 1000);
  counted = Math.max(1, Math.round(N * (1 - (cpuFrom.at - first) / Math.max(1, last - first)))); // runs after cpuFrom, assuming an even pace
} else {
  await client.asyncResult(ids[ids.length - 1]!).get({ timeout: 600, interval: 0.01 });
  backend = await createBackend(resultBackend);
  const { seconds, done } = await drainSeconds(backend, ids);
  drainS = seconds;
  counted = Math.max(1, done.filter((t) => t >= cpuFrom.at).length);
}
const workerCpuUs = (1e6 * (treeCpuSeconds(worker.pid!) - cpuFrom.worker)) / counted;
const brokerCpuUs = serverPid === undefined ? undefined : (1e6 * (serverCpu() - cpuFrom.server)) / counted;
console.log(`drain       ${N} tasks in ${drainS.toFixed(2)} s = ${Math.round(N / drainS)} tasks/s (first to last ${FAST ? 'run, nothing stored' : 'completion, results stored'})`);
console.log(`            worker CPU ${workerCpuUs.toFixed(1)} µs per task (user + system, pool children included; ${Math.round(1e6 / workerCpuUs)} tasks per CPU-second)` +
  `${brokerCpuUs === undefined ? '' : `, broker server CPU ${brokerCpuUs.toFixed(1)} µs per task (anyone else's use of it included)`}`);

// round trip
const lat: number[] = [];
for (let i = 0; i < (FAST ? 0 : RT); i++) {
  const s = performance.now();
  const r = await noop.applyAsync([i]);
  await r.get({ timeout: 30, interval: 0.001 });
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
if (lat.length > 0) console.log(`round trip  n=${RT}: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${lat[lat.length - 1]!.toFixed(2)} ms (applyAsync + get)`);

await stop(worker);
await backend?.close();
await client.close();
rmSync(tmp, { recursive: true, force: true });
if (opts.peers) {
  await runPeers(opts.peers, { broker, resultBackend, n: N, rt: RT, c: C, fast: FAST, brokerPid: serverPid,
    cq: { system: `cq -P ${POOL} -c ${C}${FAST ? ' (fast profile)' : ''}`, drain: N / drainS, publish: N / publishS, rtMs: lat, workerCpuUs, brokerCpuUs, clientCpuUs } });
}
await emulator?.stop();
