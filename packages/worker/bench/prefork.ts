/**
 * Trivial tasks per second through `cq worker -P prefork -c 2` on RabbitMQ, results in Redis db 1.
 * 20,000 `bench.noop` tasks are published first to a fresh `cqt.pool.bench.` queue; then the worker
 * starts and drains it. The rate runs from the first to the last `date_done` stored, so the worker's
 * start-up is not counted. Usage, from packages/worker:
 *   node --conditions=@cq/source --import tsx bench/prefork.ts [tasks=20000] [pool=prefork] [concurrency=2]
 * Without CQ_BENCH_WORKER_ARGS it runs twice: with Celery's defaults (prefetch multiplier 4) and with
 * `--prefetch-multiplier 64` (Celery's advice for many short tasks); CQ_BENCH_WORKER_ARGS gives the
 * `cq worker` flags of a single run instead. Prints the CPU per task of the worker parent, its
 * children and RabbitMQ (from /proc, Linux). Measured on the
 * 2-core dev VM: see packages/worker/README.md "Pools".
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Celery } from '@cq/app';

if (process.env['CQ_BENCH_WORKER_ARGS'] === undefined) {
  for (const flags of ['', '--prefetch-multiplier 64']) {
    console.log(`\n== ${flags || "Celery's defaults (--prefetch-multiplier 4)"}`);
    const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, CQ_BENCH_WORKER_ARGS: flags },
    });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  process.exit(0);
}

const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const REDIS = 'redis://127.0.0.1:6379/1';
const n = Number(process.argv[2] ?? 20_000);
const pool = process.argv[3] ?? 'prefork';
const concurrency = process.argv[4] ?? '2';
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const queue = `cqt.pool.bench.${randomUUID().slice(0, 8)}`;

const client = new Celery('bench-client', { task_default_queue: queue }).configure({ brokerUrl: AMQP, resultBackend: REDIS });
const ids: string[] = [];
const dates: number[] = [];
let cpu: { parent: number; children: number } | undefined;
let brokerBefore: number | undefined;
let steadyFrom: { done: number; cpu: Snapshot } | undefined;
let steadyTo: Snapshot;
let brokerAfter: number | undefined;
const redis = new Redis(REDIS);
let worker: ChildProcess | undefined;
try {
  for (let i = 0; i < n; i += 1_000) {
    const batch = await Promise.all(Array.from({ length: Math.min(1_000, n - i) }, (_, j) => client.sendTask('bench.noop', [i + j])));
    ids.push(...batch.map((r) => r.id));
  }
  console.log(`published ${n} tasks to ${queue}`);
  brokerBefore = brokerTicks();
  // CQ_BENCH_NODE_ARGS: extra node flags for the worker, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env['CQ_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const workerArgs = (process.env['CQ_BENCH_WORKER_ARGS'] ?? '').split(' ').filter(Boolean);
  worker = spawn(process.execPath, [...nodeArgs, '--conditions=@cq/source', '--import', 'tsx', path.join(root, 'apps/cli/src/bin.ts'), 'worker',
    '-A', path.join(here, 'app.ts'), '-b', AMQP, '--result-backend', REDIS, '-Q', queue, '-P', pool, '-c', concurrency, ...workerArgs, '-l', 'warning', '--no-banner'],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const keys = ids.map((id) => `celery-task-meta-${id}`);
  for (let done = 0; done < n;) {
    await new Promise((r) => setTimeout(r, 500));
    done = 0;
    for (let i = 0; i < keys.length; i += 5_000) done += await redis.exists(...keys.slice(i, i + 5_000));
    if (done > 0 && steadyFrom === undefined) steadyFrom = { done, cpu: snapshot(worker.pid!) };
  }
  steadyTo = snapshot(worker.pid!);
  for (let i = 0; i < keys.length; i += 5_000) {
    for (const raw of await redis.mget(...keys.slice(i, i + 5_000))) dates.push(Date.parse((JSON.parse(raw!) as { date_done: string }).date_done));
  }
  cpu = cpuOf(worker.pid!);
  brokerAfter = brokerTicks();
} finally {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((r) => worker!.once('exit', r));
  }
  const keys = ids.map((id) => `celery-task-meta-${id}`);
  for (let i = 0; i < keys.length; i += 5_000) await redis.del(...keys.slice(i, i + 5_000));
  redis.disconnect();
  const conn = client.connection();
  const channel = await conn.channel();
  await channel.deleteQueue(queue).catch(() => undefined);
  await channel.deleteExchange(queue).catch(() => undefined); // cq declares a direct exchange named like the queue, as Celery does
  await conn.close();
  await client.close();
}
const seconds = (dates.reduce((a, b) => Math.max(a, b)) - dates.reduce((a, b) => Math.min(a, b))) / 1000;
console.log(`cq worker -P ${pool} -c ${concurrency} on RabbitMQ: ${n} tasks in ${seconds.toFixed(2)} s = ${Math.round((n - 1) / seconds)} tasks/s`);
if (cpu) console.log(`CPU per task (start-up included): parent ${Math.round(cpu.parent / n)} µs, children ${Math.round(cpu.children / n)} µs`);
if (brokerBefore !== undefined && brokerAfter !== undefined) console.log(`RabbitMQ CPU per task while draining: ${Math.round(((brokerAfter - brokerBefore) * 1e4) / n)} µs`);
if (steadyFrom && steadyTo! && n > steadyFrom.done) {
  const per = (k: keyof Snapshot): number => Math.round((steadyTo[k] - steadyFrom.cpu[k]) / (n - steadyFrom.done));
  console.log(`steady state (after the first results, ${n - steadyFrom.done} tasks): parent ${per('parent')} µs, children ${per('children')} µs, RabbitMQ ${per('broker')} µs per task`);
}

interface Snapshot { parent: number; children: number; broker: number }

/** CPU used so far (µs) by the worker, its children and RabbitMQ; zeros where unknown. */
function snapshot(pid: number): Snapshot {
  const own = cpuOf(pid);
  return { parent: own?.parent ?? 0, children: own?.children ?? 0, broker: (brokerTicks() ?? 0) * 1e4 };
}

/** CPU ticks (1/100 s) used so far by the local RabbitMQ node (beam.smp), or undefined when not found (Linux only). */
function brokerTicks(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(beam.smp)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    // not Linux, or the process went away
  }
  return undefined;
}

/** CPU time (user + system, µs) of a process and of its child processes so far, from /proc (Linux). */
function cpuOf(pid: number): { parent: number; children: number } | undefined {
  const ticks = (p: number): number => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  };
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const us = 1e6 / 100; // USER_HZ = 100
    return { parent: ticks(pid) * us, children: kids.reduce((a, k) => a + ticks(k), 0) * us };
  } catch {
    return undefined;
  }
}

