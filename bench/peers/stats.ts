/** What one peer measured, in the units the harness prints. */
export interface PeerFigures {
  /** Row label, e.g. `celery prefork -c 2`. */
  system: string;
  /** Drain rate in tasks/s: N / (last completion − first completion). */
  drain: number;
  /** Publish rate in tasks/s from one client. */
  publish: number;
  /** Round-trip latencies in ms, sorted ascending. */
  rtMs: number[];
  /** CPU (user + system) of the worker process(es) during the drain, per task, µs. */
  workerCpuUs?: number | undefined;
  /** CPU of the broker server during the drain, per task, µs (when it runs on this machine). */
  brokerCpuUs?: number | undefined;
  /** CPU of the publishing client during the publish, per task, µs (when it runs in this process). */
  clientCpuUs?: number | undefined;
}

/** The p-th percentile (0–100) of ascending `sorted`, nearest-rank as bench/run.ts does. */
export const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** Rate in tasks/s of `n` tasks whose completion times (ms since epoch) are `doneMs`, first to last. */
export function drainRate(n: number, doneMs: number[]): number {
  const sorted = [...doneMs].sort((a, b) => a - b);
  const seconds = Math.max(0.001, (sorted[sorted.length - 1]! - sorted[0]!) / 1000);
  return n / seconds;
}
