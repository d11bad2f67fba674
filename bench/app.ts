/**
 * The app the benchmarks run: trivial tasks, so the figures measure cq, not the work.
 *
 * `bench.noop` prints `cq-bench-first <epoch ms>` on stdout at its first run in a process, which the
 * harness counts the worker's CPU from (start-up and module loading left out). With
 * `CQ_BENCH_PROFILE=fast` (bench `--profile fast`) the app takes @cq/celery's `fastProfile` and, since
 * no result is stored to time the drain by, the task times it itself: after its `CQ_BENCH_N`-th run it
 * prints `cq-bench-drain <first run ms> <last run ms>`.
 */
import { Celery, fastProfile, transportOptions } from './deps.js';

const fast = process.env['CQ_BENCH_PROFILE'] === 'fast';
const expected = Number(process.env['CQ_BENCH_N'] ?? 0);

export const app = new Celery('bench', { ...(fast ? fastProfile : {}), broker_transport_options: transportOptions() });

let runs = 0;
let firstRun = 0;
/** Counts runs: prints the first run's time, and (fast profile) the first and last after the N-th. */
function countRun(): void {
  if (runs++ === 0) {
    firstRun = performance.timeOrigin + performance.now();
    process.stdout.write(`cq-bench-first ${firstRun.toFixed(3)}\n`);
  } else if (fast && runs === expected) {
    process.stdout.write(`cq-bench-drain ${firstRun.toFixed(3)} ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`);
  }
}

/** Returns its argument: the smallest task that still stores a result. */
export const noop = app.task('bench.noop', (n: number) => {
  countRun();
  return n;
});

export default app;
