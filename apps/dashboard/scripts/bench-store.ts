/**
 * A benchmark of the event store, not a test: records N synthetic tasks (received, started, then
 * succeeded or failed, over 20 names and 8 workers) through the recorder into a fresh store, then
 * times the listing queries the UI and Flower's API make (each the median of 5 runs, after one
 * warm-up; PostgreSQL again after a VACUUM), and reports the process's RSS and the store's size on
 * disk, then times a retention pass dropping a tenth of the tasks.
 *
 * ```sh
 * node --expose-gc --conditions=@cq/source --import tsx apps/dashboard/scripts/bench-store.ts 1000000
 * node --expose-gc --conditions=@cq/source --import tsx apps/dashboard/scripts/bench-store.ts 1000000 postgresql://postgres@127.0.0.1/test
 * ```
 *
 * Arguments: the task count (default 100 000) and the store: a SQLite file path (default a new file
 * in a temporary directory, removed after) or a `postgresql://` URL (a new schema
 * `cq_dashboard_bench_<n>`, dropped after). RSS is this Node process's only (a PostgreSQL server's
 * memory is its own).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Celery } from '@cq/celery';
import { EventRecorder } from '../src/recorder.js';
import type { EventStore } from '../src/store/event-store.js';
import { isPostgresUrl, openEventStore } from '../src/store/open.js';
import type { TaskFilter } from '../src/store/task-query.js';

const n = Number(process.argv[2] ?? 100_000);
const target = process.argv[3];
const dir = target ? null : mkdtempSync(path.join(os.tmpdir(), 'cq-dashboard-bench-'));
const schema = `cq_dashboard_bench_${process.pid}`;
const db = target === undefined ? path.join(dir!, 'bench.db') : isPostgresUrl(target) ? `${target}${target.includes('?') ? '&' : '?'}schema=${schema}` : target;
const store: EventStore = await openEventStore(db).open();
const recorder = new EventRecorder({ app: new Celery('bench'), store, maxTasksInMemory: 1000 });
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** A plain client on the PostgreSQL database, for what is not the store's job (size, ANALYZE, dropping the schema). */
async function admin<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The store's size on disk: the SQLite file with its WAL, or the schema's tables with their indexes and TOAST. */
async function storeSize(): Promise<string> {
  if (store.kind === 'sqlite') {
    const size = (f: string): number => { try { return statSync(f).size; } catch { return 0; } };
    return mb(size(db) + size(`${db}-wal`));
  }
  const rows = await admin<{ n: string }>(`SELECT sum(pg_total_relation_size(c.oid)) AS n FROM pg_class c
    JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = '${schema}' AND c.relkind = 'r'`);
  return mb(Number(rows[0]?.n ?? 0));
}

console.log(`${n} tasks into ${store.kind} (${store.location}); RSS before recording ${mb(process.memoryUsage().rss)}`);
const t0 = Date.now() / 1000 - n;
let peakRss = 0;
let started = performance.now();
for (let i = 0; i < n; i += 1) {
  if (i > 0 && i % (n / 4) === 0) {
    await recorder.flush();
    gc();
    const { rss, heapUsed } = process.memoryUsage();
    console.log(`  after ${i} tasks: RSS ${mb(rss)}, heap ${mb(heapUsed)}`);
  }
  const at = t0 + i;
  const common = { uuid: `task-${i}`, hostname: `worker-${i % 8}@host`, local_received: at, utcoffset: 0, pid: 1 };
  recorder.record({ type: 'task-received', timestamp: at, ...common, name: `proj.task${i % 20}`, args: `(${i}, 'arg${i}')`, kwargs: `{'n': ${i % 100}}` });
  recorder.record({ type: 'task-started', timestamp: at + 0.1, ...common });
  if (i % 10 === 0) recorder.record({ type: 'task-failed', timestamp: at + 0.2, ...common, exception: `ValueError(${i})`, traceback: 'Traceback ...' });
  else recorder.record({ type: 'task-succeeded', timestamp: at + 0.2, ...common, result: `${i * 2}`, runtime: 0.1 });
  // Events come from a socket in real life: let the recorder apply and write them as they arrive.
  if (i % 334 === 333) {
    await recorder.flush();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
}
await recorder.flush();
const recordSeconds = (performance.now() - started) / 1000;
console.log(`recorded ${n} tasks (${n * 3} events) in ${recordSeconds.toFixed(1)} s: ${(n * 3 / recordSeconds).toFixed(0)} events/s; `
  + `peak RSS while recording ${mb(peakRss)}, cached tasks ${recorder.state.tasks.size}; store ${await storeSize()}`);
if (store.kind === 'postgresql') await admin(`ANALYZE ${schema}.tasks`);

const median = async (fn: () => Promise<unknown>): Promise<number> => {
  await fn();
  const times: number[] = [];
  for (let k = 0; k < 5; k += 1) {
    started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[2]!;
};
const cases: [string, TaskFilter][] = [
  ['newest page', { limit: 20 }],
  ['page 100', { limit: 20, offset: 2000 }],
  ['state=FAILURE', { state: 'FAILURE', limit: 20 }],
  ['name + worker', { name: 'proj.task3', worker: 'worker-3@host', limit: 20 }],
  ['received range', { receivedStart: t0 + n / 2, receivedEnd: t0 + n / 2 + 3600, limit: 20 }],
  ['sort_by=-started', { sortBy: '-started', limit: 20 }],
  ['search (common, recent)', { search: 'task1', limit: 20 }],
  ['search (common, all old)', { search: 'arg1', limit: 20 }],
  ['search (one task)', { search: `arg${n - 7}'`, limit: 20 }],
  ['search (no match)', { search: 'no-such-text', limit: 20 }],
  ['search + state', { search: `arg${n - 10}'`, state: 'FAILURE', limit: 20 }],
];
async function measure(): Promise<void> {
  for (const [label, filter] of cases) {
    let rows = 0;
    let total = 0;
    const list = await median(async () => { rows = (await store.tasks(filter)).length; });
    const count = await median(async () => { total = await store.countTasks(filter); });
    console.log(`${label.padEnd(26)} ${String(rows).padStart(3)} rows in ${list.toFixed(1).padStart(6)} ms; count ${String(total).padStart(7)} in ${count.toFixed(1).padStart(6)} ms`);
  }
}
await measure();
if (store.kind === 'postgresql') {
  // Right after a million upserts the visibility map is unset, so counts read the heap; autovacuum sets it.
  await admin(`VACUUM ${schema}.tasks`);
  console.log('after VACUUM (as autovacuum leaves the table):');
  await measure();
}
gc();
console.log(`RSS ${mb(process.memoryUsage().rss)}, heap ${mb(process.memoryUsage().heapUsed)}`);
started = performance.now();
const pruned = await store.prune({ maxTasks: n - n / 10, maxAge: 0 });
console.log(`retention to ${n - n / 10} tasks: dropped ${pruned.tasks} tasks and ${pruned.events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
await recorder.close();
await store.close();
if (store.kind === 'postgresql') await admin(`DROP SCHEMA ${schema} CASCADE`);
if (dir) rmSync(dir, { recursive: true, force: true });
