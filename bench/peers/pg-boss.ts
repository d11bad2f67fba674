/**
 * pg-boss peer (npm `pg-boss` 10.x, the newest that runs on Node 20): PostgreSQL brokers only, on the
 * same database as cq, doing the same small work (the job returns its `n`; pg-boss stores it as the
 * job's `output`). Schema `pgboss_bench`, queue `bench_peer_pgboss`, dropped before and after.
 *
 * - publish: `boss.send` N times, awaited in batches of 1,000 (as cq's `delay()`); these N jobs are the
 *   drain set.
 * - drain: `boss.work` called C times (pg-boss 10 has no per-worker concurrency: each `work()` is one
 *   polling loop), `batchSize: 1` so each job's output is stored (pg-boss stores no output for a
 *   batch), `pollingIntervalSeconds: 0.5` (its floor); rate from first to last `completed_on`.
 * - round trip: `boss.send` + `getJobById` every 1 ms until completed (pg-boss 10 has no completion
 *   event), M times.
 * - CPU per task: `process.cpuUsage()` of this process (the workers run here) during the drain and the
 *   publish; PostgreSQL's (the postmaster and its backends, everyone's) when its pid is given.
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { treeCpuSeconds } from '../drain.js';
import { drainRate, type PeerFigures } from './stats.js';

const SCHEMA = 'pgboss_bench';
const QUEUE = 'bench_peer_pgboss';

export interface PgBossOptions {
  /** A `postgresql://` URL of the database cq's broker uses. */
  url: string;
  /** Tasks to publish and drain. */
  n: number;
  /** Round trips to time. */
  rt: number;
  /** Workers (`work()` loops); cq's `-c`. */
  concurrency: number;
  /** The PostgreSQL server's pid, for its CPU per task; undefined: not reported. */
  brokerPid?: number | undefined;
}

/**
 * Publishes N, drains them with C workers, times M round trips; drops its schema before and after.
 * Resolves rates in tasks/s and sorted round trips in ms. Throws if the drain takes over 600 s or a
 * round trip over 30 s.
 */
export async function runPgBoss(o: PgBossOptions): Promise<PeerFigures> {
  const admin = new pg.Client({ connectionString: o.url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  const boss = new PgBoss({ connectionString: o.url, schema: SCHEMA, supervise: false, schedule: false, max: 20 });
  boss.on('error', (err) => console.error(`pg-boss: ${err.message}`));
  try {
    await boss.start();
    await boss.createQueue(QUEUE);
    const perTaskUs = (cpu: NodeJS.CpuUsage) => (cpu.user + cpu.system) / o.n;
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    for (let i = 0; i < o.n; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, o.n - i) }, (_, j) => boss.send(QUEUE, { n: i + j })));
    }
    const publish = o.n / ((performance.now() - t0) / 1000);
    const clientCpuUs = perTaskUs(process.cpuUsage(cpu0));
    const brokerCpuAtStart = o.brokerPid === undefined ? 0 : treeCpuSeconds(o.brokerPid);
    cpu0 = process.cpuUsage();

    const handler = async ([job]: PgBoss.Job<{ n: number }>[]) => job!.data.n;
    for (let w = 0; w < o.concurrency; w++) await boss.work(QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, handler);
    t0 = performance.now();
    const completed = async () => Number((await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${SCHEMA}.job WHERE name = $1 AND state = 'completed'`, [QUEUE])).rows[0]!.n);
    while ((await completed()) < o.n) {
      if (performance.now() - t0 > 600_000) throw new Error('pg-boss drain: not done after 600 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const workerCpuUs = perTaskUs(process.cpuUsage(cpu0));
    const brokerCpuUs = o.brokerPid === undefined ? undefined : (1e6 * (treeCpuSeconds(o.brokerPid) - brokerCpuAtStart)) / o.n;
    const { rows } = await admin.query<{ ms: number }>(
      `SELECT (extract(epoch FROM completed_on) * 1000)::float8 AS ms FROM ${SCHEMA}.job WHERE name = $1 AND state = 'completed'`, [QUEUE]);
    const drain = drainRate(rows.length, rows.map((r) => r.ms));

    const rtMs: number[] = [];
    for (let i = 0; i < o.rt; i++) {
      const s = performance.now();
      const id = (await boss.send(QUEUE, { n: i }))!;
      for (;;) {
        const job = await boss.getJobById(QUEUE, id);
        if (job?.state === 'completed') break;
        if (performance.now() - s > 30_000) throw new Error(`pg-boss round trip: job ${id} not completed after 30 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
      rtMs.push(performance.now() - s);
    }
    rtMs.sort((a, b) => a - b);
    return { system: `pg-boss ${pgBossVersion()} work() ×${o.concurrency}`, drain, publish, rtMs, workerCpuUs, brokerCpuUs, clientCpuUs };
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
    await admin.end();
  }
}

function pgBossVersion(): string {
  return (createRequire(import.meta.url)('pg-boss/package.json') as { version: string }).version;
}
