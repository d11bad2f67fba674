/**
 * Scale-out benchmark: the same N `bench.noop` tasks (results stored), pre-published to queue
 * `bench.scale`, drained by 1, 2 and 4 `cq worker -P async -c C` processes on one broker, then by
 * 4 workers in this namespace and by 2 workers on each of two network-namespace hosts (`makeHosts(2)`),
 * both on a private `redis-server` bound to the hosts' gateway address (the hosts cannot reach the
 * root namespace's 127.0.0.1). Rate = N / (last `date_done` − first `date_done`), read from the result
 * backend as `run.ts` does; "all up" counts only the tasks done after the last worker was ready.
 * Worker CPU is user + system from `/proc`, summed over the workers, per task.
 *
 * Usage: `pnpm bench:scale [--n 100000] [-c 100] [--broker URL] [--result-backend URL]`
 * (default broker and results: `redis://127.0.0.1:6379/6`; `amqp://…` works too). The hosts need root.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cqBin, freePort, makeHosts, repoRoot, requireCommand, spawnTracked, stopTracked, waitForPort, type Host, type Hosts } from '@cq/tooling/testing';
import { Celery, createBackend, redact, transportOptions } from './deps.js';
import { cpuSeconds, drainSeconds, publishMany, treeCpuSeconds, untilBanner } from './drain.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    c: { type: 'string', default: '100' },
    broker: { type: 'string', default: 'redis://127.0.0.1:6379/6' },
    'result-backend': { type: 'string' },
  },
});
const N = Number(opts.n);
const C = Number(opts.c);
const QUEUE = 'bench.scale';
const broker = opts.broker;
const resultBackend = opts['result-backend'] ?? (broker.startsWith('redis://') ? broker : 'redis://127.0.0.1:6379/6');

interface Row {
  label: string;
  /** N / (last − first completion), tasks/s. */
  rate: number;
  /** Tasks done after the last worker was ready / the time from then to the last completion, tasks/s. */
  allUp: number;
  /** Worker CPU (user + system, summed over the workers) per task, µs. */
  workerCpuUs: number;
  /** The broker's CPU per task, µs (Redis only: its pid from `INFO server`). */
  brokerCpuUs?: number;
}

/** The pid of the Redis server at `url` (`INFO server`'s process_id), when it runs in this pid namespace. */
function redisPid(url: string): number | undefined {
  if (!url.startsWith('redis://')) return undefined;
  const u = new URL(url);
  const info = execFileSync(requireCommand('redis-cli', 'redis-tools'), ['-h', u.hostname, '-p', u.port || '6379', 'info', 'server'], { encoding: 'utf8' });
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  try {
    cpuSeconds(pid);
    return pid;
  } catch {
    return undefined;
  }
}

/** Starts `cq worker` number `i` (in `host`, else here) on `brokerUrl`/`backendUrl`, consuming {@link QUEUE}. */
function startWorker(i: number, brokerUrl: string, backendUrl: string, host?: Host): ChildProcess {
  // Warning level: per-task info lines would measure the terminal. Gossip, mingle and heartbeats off:
  // with several workers they are broadcast traffic on the same broker, not the task path.
  const args = ['--conditions=@cq/source', '--import', 'tsx', cqBin, 'worker', '-A', path.join(here, 'app.ts'), '-P', 'async', '-c', String(C),
    '-Q', QUEUE, '-b', brokerUrl, '--result-backend', backendUrl, '-l', 'warning', '-n', `scale${i}@%h`,
    '--without-gossip', '--without-mingle', '--without-heartbeat'];
  const options = { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] as ['ignore', 'pipe', 'inherit'] };
  return host ? host.spawn(process.execPath, args, options) : spawnTracked(process.execPath, args, options);
}

/** Publishes N tasks, then drains them with one worker per entry of `placement` (a host, or undefined for here). */
async function drain(label: string, brokerUrl: string, backendUrl: string, placement: (Host | undefined)[], brokerPid?: number): Promise<Row> {
  const client = new Celery('bench-scale-client', { broker_transport_options: transportOptions() }).configure({ brokerUrl, resultBackend: backendUrl });
  const noop = client.task('bench.noop', (n: number) => n);
  const backend = await createBackend(backendUrl);
  const workers: ChildProcess[] = [];
  let ids: string[] = [];
  try {
    ids = await publishMany(N, (i) => noop.applyAsync([i], { queue: QUEUE }));
    const brokerCpuAtStart = brokerPid === undefined ? 0 : cpuSeconds(brokerPid);
    for (const [i, host] of placement.entries()) workers.push(startWorker(i, brokerUrl, backendUrl, host));
    // Each worker's CPU is counted from its own banner on, as run.ts does (start-up and tsx excluded).
    const ready = await Promise.all(workers.map((w) => untilBanner(w).then(({ cpuAtBanner }) => ({ at: Date.now(), cpu: cpuAtBanner }))));
    await client.asyncResult(ids[ids.length - 1]!).get({ timeout: 600, interval: 0.05 });
    const { seconds, done } = await drainSeconds(backend, ids);
    const workerCpu = workers.reduce((sum, w, i) => sum + treeCpuSeconds(w.pid!) - ready[i]!.cpu, 0);
    const allReady = Math.max(...ready.map((r) => r.at));
    const after = done.filter((t) => t >= allReady);
    const last = done[done.length - 1]!;
    const row: Row = {
      label,
      rate: N / seconds,
      allUp: after.length > 1 ? after.length / Math.max(0.001, (last - allReady) / 1000) : NaN,
      workerCpuUs: (1e6 * workerCpu) / N,
      ...(brokerPid === undefined ? {} : { brokerCpuUs: (1e6 * (cpuSeconds(brokerPid) - brokerCpuAtStart)) / N }),
    };
    console.log(`${label.padEnd(28)} ${Math.round(row.rate)} tasks/s (all up: ${Math.round(row.allUp)}), worker CPU ${row.workerCpuUs.toFixed(0)} µs/task` +
      `${row.brokerCpuUs === undefined ? '' : `, broker CPU ${row.brokerCpuUs.toFixed(0)} µs/task`}`);
    return row;
  } finally {
    await Promise.all(workers.map((w) => stopTracked(w)));
    // Our results only (the database may be shared): forgotten in batches of 1,000.
    for (let i = 0; i < ids.length; i += 1000) await Promise.all(ids.slice(i, i + 1000).map((id) => backend.forget(id)));
    await backend.close();
    await client.close();
  }
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));

console.log(`cq scale-out bench: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`N = ${N}, workers -P async -c ${C}; broker ${redact(broker)}, results ${redact(resultBackend)}\n`);

const rows: Row[] = [];
let hosts: Hosts | undefined;
let redis: ChildProcess | undefined;
try {
  const pid = redisPid(broker);
  for (const count of [1, 2, 4]) rows.push(await drain(`${count} (this namespace)`, broker, resultBackend, Array.from({ length: count }, () => undefined), pid));

  // Two hosts and a private Redis on their gateway address, for broker and results alike.
  hosts = makeHosts(2);
  const port = await freePort();
  redis = spawnTracked(requireCommand('redis-server', 'redis-server'), ['--bind', hosts.gateway, '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
  await waitForPort(port, 10_000, hosts.gateway);
  const gatewayRedis = `redis://${hosts.gateway}:${port}/0`;
  const [h0, h1] = hosts.hosts as [Host, Host];
  rows.push(await drain('4 (this ns, gateway Redis)', gatewayRedis, gatewayRedis, [undefined, undefined, undefined, undefined], redis.pid));
  rows.push(await drain('2×2 hosts (gateway Redis)', gatewayRedis, gatewayRedis, [h0, h0, h1, h1], redis.pid));
} finally {
  if (redis) await stopTracked(redis);
  hosts?.destroy();
}

console.log('\n| workers | drain tasks/s | all up tasks/s | worker CPU µs/task | broker CPU µs/task |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.label} | ${fmt(r.rate)} | ${fmt(r.allUp)} | ${fmt(r.workerCpuUs)} | ${fmt(r.brokerCpuUs)} |`);
console.log(`\nload average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
