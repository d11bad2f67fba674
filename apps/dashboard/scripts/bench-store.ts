/**
 * A benchmark of the event store, not a test: records N synthetic tasks (received, started, then
 * succeeded or failed, over 20 names and 8 workers) through the recorder into a fresh SQLite file,
 * then times the listing queries the UI and Flower's API make, and reports the process's RSS.
 *
 * ```sh
 * node --conditions=@cq/source --import tsx apps/dashboard/scripts/bench-store.ts 100000
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Celery } from '@cq/celery';
import { EventRecorder } from '../src/recorder.js';
import { EventStore } from '../src/store/event-store.js';
import type { TaskFilter } from '../src/store/task-query.js';

const n = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-dashboard-bench-'));
const store = new EventStore(path.join(dir, 'bench.db'));
const recorder = new EventRecorder({ app: new Celery('bench'), store, maxTasksInMemory: 1000 });
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

const t0 = Date.now() / 1000 - n;
console.log(`RSS before recording ${mb(process.memoryUsage().rss)}`);
let started = performance.now();
for (let i = 0; i < n; i += 1) {
  if (i > 0 && i % (n / 4) === 0 && (globalThis.gc?.(), true)) console.log(`  after ${i} tasks: RSS ${mb(process.memoryUsage().rss)}, heap ${mb(process.memoryUsage().heapUsed)}`);
  const at = t0 + i;
  const common = { uuid: `task-${i}`, hostname: `worker-${i % 8}@host`, local_received: at, utcoffset: 0, pid: 1 };
  recorder.record({ type: 'task-received', timestamp: at, ...common, name: `proj.task${i % 20}`, args: `(${i}, 'arg${i}')`, kwargs: `{'n': ${i % 100}}` });
  recorder.record({ type: 'task-started', timestamp: at + 0.1, ...common });
  if (i % 10 === 0) recorder.record({ type: 'task-failed', timestamp: at + 0.2, ...common, exception: `ValueError(${i})`, traceback: 'Traceback ...' });
  else recorder.record({ type: 'task-succeeded', timestamp: at + 0.2, ...common, result: `${i * 2}`, runtime: 0.1 });
}
recorder.flush();
const recordSeconds = (performance.now() - started) / 1000;
console.log(`recorded ${n} tasks (${n * 3} events) in ${recordSeconds.toFixed(1)} s: ${(n * 3 / recordSeconds).toFixed(0)} events/s; RSS ${mb(process.memoryUsage().rss)}, cached tasks ${recorder.state.tasks.size}`);

const cases: [string, TaskFilter][] = [
  ['newest page', { limit: 20 }],
  ['page 100', { limit: 20, offset: 2000 }],
  ['state=FAILURE', { state: 'FAILURE', limit: 20 }],
  ['name + worker', { name: 'proj.task3', worker: 'worker-3@host', limit: 20 }],
  ['received range', { receivedStart: t0 + n / 2, receivedEnd: t0 + n / 2 + 3600, limit: 20 }],
  ['sort_by=-started', { sortBy: '-started', limit: 20 }],
  ['search (common word)', { search: 'arg1', limit: 20 }],
  ['search (one task)', { search: `arg${n - 7}`, limit: 20 }],
];
for (const [label, filter] of cases) {
  started = performance.now();
  const rows = store.tasks(filter);
  const list = performance.now() - started;
  started = performance.now();
  const total = store.countTasks(filter);
  console.log(`${label.padEnd(22)} ${String(rows.length).padStart(3)} rows in ${list.toFixed(1).padStart(6)} ms; count ${String(total).padStart(7)} in ${(performance.now() - started).toFixed(1).padStart(6)} ms`);
}
console.log(`RSS ${mb(process.memoryUsage().rss)}`);
store.close();
rmSync(dir, { recursive: true, force: true });
