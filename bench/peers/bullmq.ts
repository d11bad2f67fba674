/**
 * BullMQ peer: a Queue and a Worker on the same Redis as cq, doing the same small work (the job returns
 * its `n`, the result stored in the job hash: BullMQ keeps completed jobs by default).
 *
 * - publish: `queue.add` N times, awaited in batches of 1,000 (as cq's `delay()`); these N jobs are then
 *   the drain set, as in cq's harness (no second fill with `addBulk`: how the jobs got there is not timed).
 * - drain: one Worker with concurrency C starts on the N waiting jobs; rate from first to last `finishedOn`.
 * - round trip: `queue.add` + `job.waitUntilFinished(queueEvents)`, M times, worker otherwise idle.
 *
 * Queue `bench.peer.bullmq` (keys `bull:bench.peer.bullmq:*`), obliterated before and after.
 */
import { createRequire } from 'node:module';
import { Queue, QueueEvents, Worker } from 'bullmq';
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
    let t0 = performance.now();
    for (let i = 0; i < o.n; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, o.n - i) }, (_, j) => queue.add('bench.noop', { n: i + j })));
    }
    const publish = o.n / ((performance.now() - t0) / 1000);

    worker = new Worker(NAME, async (job) => (job.data as { n: number }).n, { connection, concurrency: o.concurrency });
    t0 = performance.now();
    while ((await queue.getCompletedCount()) < o.n) {
      if (performance.now() - t0 > 600_000) throw new Error(`bullmq drain: not done after 600 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const done = await queue.getJobs(['completed'], 0, -1);
    const drain = drainRate(done.length, done.map((j) => j.finishedOn!));

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
    return { system: `bullmq ${bullmqVersion()} concurrency ${o.concurrency}`, drain, publish, rtMs };
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
