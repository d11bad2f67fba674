/**
 * Cluster statistics for the overview page, counted from the event store (so a restart keeps them):
 *
 * - {@link throughput}: task events per interval (`received`, `succeeded`, `failed`, `retried`,
 *   `revoked`, `rejected`), by the time the dashboard received each event, in buckets aligned to
 *   multiples of the interval (Unix seconds), empty buckets as 0. Answered by the `events` index on
 *   arrival time: the cost grows with the events inside the window, not with the history kept.
 * - {@link taskStates}: how many stored tasks are in each state.
 *
 * The window can only reach as far back as retention (`maxTasks`, `maxAge`) keeps events.
 */
import { ApiError } from './errors.js';
import type { EventStore } from './store/event-store.js';

/** The event types counted, by the series name they are counted under. */
export const THROUGHPUT_SERIES = {
  received: 'task-received',
  succeeded: 'task-succeeded',
  failed: 'task-failed',
  retried: 'task-retried',
  revoked: 'task-revoked',
  rejected: 'task-rejected',
} as const;

export type ThroughputSeries = keyof typeof THROUGHPUT_SERIES;

/** Most buckets one answer holds (a day by the minute). */
export const MAX_BUCKETS = 1440;

export interface ThroughputQuery {
  /** Bucket width, seconds (> 0). */
  interval: number;
  /** Start, Unix seconds; rounded down to a multiple of `interval`. */
  since: number;
  /** End (exclusive), Unix seconds. */
  until: number;
}

export interface Throughput {
  interval: number;
  /** The aligned start of the first bucket, Unix seconds. */
  since: number;
  until: number;
  /** Start of each bucket, Unix seconds. */
  times: number[];
  /** Per series, the count of each bucket (same length as `times`). */
  series: Record<ThroughputSeries, number[]>;
  /** Per series, the count over the whole window. */
  totals: Record<ThroughputSeries, number>;
}

const SERIES_OF_TYPE = new Map<string, ThroughputSeries>(Object.entries(THROUGHPUT_SERIES).map(([series, type]) => [type, series as ThroughputSeries]));

/**
 * Counts task events per bucket of `interval` seconds from `since` to `until`
 * ({@link EventStore.eventCounts}).
 * @throws ApiError 400 for an interval ≤ 0, `since` not before `until`, or more than {@link MAX_BUCKETS} buckets.
 */
export async function throughput(store: EventStore, query: ThroughputQuery): Promise<Throughput> {
  const { interval, until } = query;
  if (!(interval > 0)) throw new ApiError(400, `Invalid argument '${interval}': interval must be > 0 seconds`);
  const since = Math.floor(query.since / interval) * interval;
  if (!(since < until)) throw new ApiError(400, 'since must be before until');
  const buckets = Math.ceil((until - since) / interval);
  if (buckets > MAX_BUCKETS) throw new ApiError(400, `${buckets} buckets asked; at most ${MAX_BUCKETS}: widen the interval or shorten the window`);

  const times = Array.from({ length: buckets }, (_, i) => since + i * interval);
  const series = Object.fromEntries(Object.keys(THROUGHPUT_SERIES).map((s) => [s, new Array<number>(buckets).fill(0)])) as Record<ThroughputSeries, number[]>;
  const totals = Object.fromEntries(Object.keys(THROUGHPUT_SERIES).map((s) => [s, 0])) as Record<ThroughputSeries, number>;
  const rows = await store.eventCounts({ since, until, interval, types: Object.values(THROUGHPUT_SERIES) });
  for (const row of rows) {
    const name = SERIES_OF_TYPE.get(row.type);
    // PostgreSQL's count(*) is a bigint, which pg hands over as text.
    const bucket = Number(row.bucket);
    const n = Number(row.n);
    if (!name || !(bucket >= 0 && bucket < buckets)) continue;
    const counts = series[name];
    counts[bucket] = (counts[bucket] ?? 0) + n;
    totals[name] += n;
  }
  return { interval, since, until, times, series, totals };
}

/** Stored tasks by state, `{ STATE: count }`, and their total. */
export async function taskStates(store: EventStore): Promise<{ states: Record<string, number>; total: number }> {
  const states = Object.fromEntries(Object.entries(await store.stateCounts()).map(([state, n]) => [state, Number(n)]));
  return { states, total: Object.values(states).reduce((sum, n) => sum + n, 0) };
}
