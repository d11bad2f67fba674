/**
 * Peers for bench/run.ts: after cq's figures, the same workload on the same broker and result backend
 * with Python Celery and (on redis:// brokers) BullMQ, printed as one table.
 *
 * `--peers all` or a comma list of: `celery` (prefork -c 2 and solo -c 1), `celery-prefork`, `celery-solo`,
 * `bullmq` (Redis brokers), `pg-boss` (PostgreSQL brokers). See bench/README.md ("Peers") for what each measures and why.
 */
import { runBullmq } from './bullmq.js';
import { runCelery } from './celery.js';
import { runPgBoss } from './pg-boss.js';
import { pct, type PeerFigures } from './stats.js';

export interface PeerRun {
  broker: string;
  resultBackend: string;
  n: number;
  rt: number;
  /** cq worker concurrency; BullMQ's Worker gets the same. */
  c: number;
  /** cq's own figures, for the first row. */
  cq: PeerFigures;
  /** `--profile fast`: BullMQ drops completed jobs (`removeOnComplete`); Celery and pg-boss are not run. */
  fast?: boolean;
  /** The broker server's pid on this machine, whose CPU per task each peer reports; undefined: not reported. */
  brokerPid?: number | undefined;
}

const isRedis = (url: string) => /^rediss?:\/\//.test(url);
const isAmqp = (url: string) => /^(amqps?|pyamqp):\/\//.test(url);
const isSqs = (url: string) => url.startsWith('sqs://');
const isPostgres = (url: string) => /^(sqla\+)?postgres(ql)?:\/\//.test(url);

/**
 * Runs the peers named by `spec` that can use `run.broker`/`run.resultBackend` (the others are skipped with
 * a line saying why), prints the table and resolves its rows, cq's first. Throws on an unknown peer name.
 */
export async function runPeers(spec: string, run: PeerRun): Promise<PeerFigures[]> {
  // Celery 5.2.6 -P solo on RabbitMQ stalls up to 10 s at a time (README, "Peers"): 20,000 tasks would take
  // ~10 min, so `all` and `celery` leave it out there; name `celery-solo` to run it anyway.
  const solo = isAmqp(run.broker) ? [] : ['celery-solo'];
  const wanted = new Set(spec.split(',').map((s) => s.trim()).flatMap((s) =>
    s === 'all' ? ['celery-prefork', ...solo, 'bullmq', 'pg-boss'] : s === 'celery' || s === 'python' ? ['celery-prefork', ...solo] : [s]));
  const rows: PeerFigures[] = [run.cq];
  const skip = (what: string, why: string) => console.log(`peers: ${what} skipped: ${why}`);
  const known = ['celery-prefork', 'celery-solo', 'bullmq', 'pg-boss'];
  for (const w of wanted) if (!known.includes(w)) throw new Error(`--peers: unknown peer ${w} (all, celery, ${known.join(', ')})`);
  for (const pool of ['prefork', 'solo'] as const) {
    if (!wanted.has(`celery-${pool}`)) continue;
    if (run.fast) skip(`celery -P ${pool}`, 'the fast profile stores no results, which its drain is timed by');
    else if (!(isRedis(run.broker) || isAmqp(run.broker) || isSqs(run.broker))) skip(`celery -P ${pool}`, 'broker is not redis://, amqp:// or sqs://');
    else if (!isRedis(run.resultBackend)) skip(`celery -P ${pool}`, 'drain is read from a redis:// result backend');
    else rows.push(await runCelery({ broker: run.broker, resultBackend: run.resultBackend, n: run.n, rt: run.rt, pool, concurrency: pool === 'prefork' ? 2 : 1, brokerPid: run.brokerPid }));
  }
  if (wanted.has('bullmq')) {
    if (isRedis(run.broker)) rows.push(await runBullmq({ url: run.broker, n: run.n, rt: run.rt, concurrency: run.c, fast: run.fast ?? false, brokerPid: run.brokerPid }));
    else skip('bullmq', 'BullMQ runs on Redis only');
  }
  if (wanted.has('pg-boss')) {
    if (run.fast) skip('pg-boss', 'the fast profile is compared on Redis (BullMQ) only');
    else if (isPostgres(run.broker)) rows.push(await runPgBoss({ url: run.broker.replace(/^sqla\+/, ''), n: run.n, rt: run.rt, concurrency: run.c, brokerPid: run.brokerPid }));
    else skip('pg-boss', 'pg-boss runs on PostgreSQL only');
  }
  printTable(rows);
  return rows;
}

/**
 * Prints `rows` as a Markdown table: rates rounded to tasks/s, p50 and p99 in ms, CPU per task in µs
 * (worker during the drain, broker server during the drain, client during the publish; `–` when not measured).
 */
export function printTable(rows: PeerFigures[]): void {
  const header = ['system', 'drain tasks/s', 'publish tasks/s', 'RT p50 ms', 'RT p99 ms', 'worker CPU µs/task', 'broker CPU µs/task', 'client CPU µs/publish'];
  const us = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));
  const ms = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(2));
  const cells = rows.map((r) => [r.system, String(Math.round(r.drain)), String(Math.round(r.publish)),
    ms(pct(r.rtMs, 50)), ms(pct(r.rtMs, 99)), us(r.workerCpuUs), us(r.brokerCpuUs), us(r.clientCpuUs)]);
  const width = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(width[i]!) : x.padStart(width[i]!))).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${width.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}
