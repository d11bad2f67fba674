/**
 * BullMQ peer: a Queue and a Worker on the same Redis as cq, doing the same small work (the job returns
 * its `n`, the result stored in the job hash: BullMQ keeps completed jobs by default).
 *
 * - publish: `queue.add` N times, awaited in batches of 1,000 (as cq's `delay()`); these N jobs are then
 *   the drain set, as in cq's harness (no second fill with `addBulk`: how the jobs got there is not timed).
 * - drain: one Worker with concurrency C starts on the N waiting jobs; rate from first to last `finishedOn`.
 * - round trip: `queue.add` + `job.waitUntilFinished(queueEvents)`, M times, worker otherwise idle.
 * - CPU per task: `process.cpuUsage()` of this process (the Worker runs here) from the first completion
 *   to the last, over the N − 1 jobs after the first (as cq's is counted from its first task), and during
 *   the publish; the Redis server's from its pid when given, over the same span.
 * - fast profile (`fast`): jobs are added with `removeOnComplete: true` (no result kept, as cq's
 *   `ignore_result`) and the drain is timed from the Worker's `completed` events; no round trip.
 *
 * Queue `bench.peer.bullmq` (keys `bull:bench.peer.bullmq:*`), obliterated before and after.
 */
import { createRequire } from 'node:module';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { treeCpuSeconds } from '../drain.js';
import { drainRate, type PeerFigures } from './stats.js';

const NAME = 'bench.peer.bullmq';

export interface BullmqOptions {
  /** A `redis://` URL (database in the path, e.g. `/14`). */
  url: string;
  /** Tasks to publish and drain. */
  n: number;
  /** Round trips to time. */
  rt: number;
  /** Worker concurrency (cq's `-c`). */
  concurrency: number;
  /** Fast profile: completed jobs removed, drain timed from `completed` events, no round trip. Default false. */
  fast?: boolean;
  /** The Redis server's pid, for its CPU per task; undefined: not reported. */
  brokerPid?: number | undefined;
}

/**
 * Publishes N, drains them with a fresh Worker, times M round trips; obliterates the queue before and
 * after. Resolves rates in tasks/s and sorted round trips in ms. Throws if the drain takes over 600 s or a
 * round trip over 30 s.
 */
export async function runBullmq(o: BullmqOptions): Promise<PeerFigures> {
  const connection = { url: o.url, maxRetriesPerRequest: null };
  const queue = new Queue(NAME, { connection });
  await queue.obliterate({ force: true });
  let worker: Worker | undefined;
  let events: QueueEvents | undefined;
  try {
    const jobOptions = o.fast ? { removeOnComplete: true } : {};
    const perTaskUs = (cpu: NodeJS.CpuUsage) => (cpu.user + cpu.system) / o.n;
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    for (let i = 0; i < o.n; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, o.n - i) }, (_, j) => queue.add('bench.noop', { n: i + j }, jobOptions)));
    }
    const publish = o.n / ((performance.now() - t0) / 1000);
    const clientCpuUs = perTaskUs(process.cpuUsage(cpu0));

    const finished: number[] = [];
    let brokerCpuAtStart = 0;
    worker = new Worker(NAME, async (job) => (job.data as { n: number }).n, { connection, concurrency: o.concurrency });
    worker.once('completed', () => {
      cpu0 = process.cpuUsage();
      brokerCpuAtStart = o.brokerPid === undefined ? 0 : treeCpuSeconds(o.brokerPid);
    });
    if (o.fast) worker.on('completed', () => void finished.push(Date.now()));
    t0 = performance.now();
    const completed = async () => (o.fast ? finished.length : queue.getCompletedCount());
    while ((await completed()) < o.n) {
      if (performance.now() - t0 > 600_000) throw new Error(`bullmq drain: not done after 600 s`);
      await new Promise((r) => setTimeout(r, o.fast ? 20 : 200));
    }
    const cpuAfterFirst = process.cpuUsage(cpu0);
    const workerCpuUs = (cpuAfterFirst.user + cpuAfterFirst.system) / Math.max(1, o.n - 1);
    const brokerCpuUs = o.brokerPid === undefined ? undefined : (1e6 * (treeCpuSeconds(o.brokerPid) - brokerCpuAtStart)) / Math.max(1, o.n - 1);
    const doneAt = o.fast ? finished : (await queue.getJobs(['completed'], 0, -1)).map((j) => j.finishedOn!);
    const drain = drainRate(doneAt.length, doneAt);
    const cpu = { workerCpuUs, brokerCpuUs, clientCpuUs };
    const system = `bullmq ${bullmqVersion()} concurrency ${o.concurrency}${o.fast ? ' (removeOnComplete)' : ''}`;
    if (o.fast) return { system, drain, publish, rtMs: [], ...cpu };

    events = new QueueEvents(NAME, { connection });
    await events.waitUntilReady();
    await (await queue.add('bench.noop', { n: -1 })).waitUntilFinished(events, 60_000);
    const rtMs: number[] = [];
    for (let i = 0; i < o.rt; i++) {
      const s = performance.now();
      const job = await queue.add('bench.noop', { n: i });
      await job.waitUntilFinished(events, 30_000);
      rtMs.push(performance.now() - s);
    }
    rtMs.sort((a, b) => a - b);
    return { system, drain, publish, rtMs, ...cpu };
  } finally {
    await worker?.close();
    await events?.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

function bullmqVersion(): string {
  return (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;
}
