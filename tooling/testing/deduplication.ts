/**
 * `describeEnqueueDeduplication(name, stack)`: enqueue-time deduplication end to end on one broker
 * and result backend (@cq/app `deduplication.ts`, @cq/worker `deduplication.ts`): clients on their own
 * connections send `dedup.work(n, ms)` with deduplication options, a real worker on the same broker
 * runs it, and each run is recorded in the worker's memory. Instantiated by @cq/worker (Redis, SQLite,
 * RabbitMQ with Redis results) and @cq/transport-postgres (PostgreSQL). Typed structurally, so this
 * package depends on no cq package: the caller wires its apps.
 *
 * ```ts
 * describeEnqueueDeduplication('redis', {
 *   worker: async (queue, ran) => { ...app.task('dedup.work', async (n, ms) => { ran(n); await sleep(ms); return n; })... },
 *   client: (queue) => ({ send: (n, ms, o) => app.sendTask('dedup.work', [n, ms], o), holder: (id) => getDeduplicationTaskId(app, 'dedup.work', id), close: () => app.close() }),
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';

/** The deduplication options of one call (@cq/app `ApplyOptions`). */
export interface DeduplicationCall {
  deduplicationId: string;
  /** Seconds. */
  deduplicationTtl?: number;
  deduplicationMode?: 'simple' | 'throttle' | 'debounce';
}

/** What a send resolves to: an AsyncResult. */
export interface SentTask {
  readonly id: string;
  /** `timeout` in seconds. */
  get(options: { timeout: number }): Promise<unknown>;
}

/** A client app on its own connections. */
export interface DeduplicationClient {
  /** Sends `dedup.work(n, ms)` (it sleeps `ms` ms and returns `n`) with `options`. */
  send(n: number, ms: number, options: DeduplicationCall): Promise<SentTask>;
  /** The task id holding `deduplicationId` of `dedup.work`, or null (@cq/app `getDeduplicationTaskId`). */
  holder(deduplicationId: string): Promise<string | null>;
  close(): Promise<void>;
}

/** How the suite reaches the stack under test; every app gets `queue` as its default queue. */
export interface DeduplicationStack {
  /**
   * Starts a worker on a new app whose task `dedup.work(n, ms)` calls `ran(n)` as it starts, sleeps
   * `ms` ms and returns `n`; resolves once it consumes. `stop` stops it and closes its app.
   */
  worker(queue: string, ran: (n: number) => void): Promise<{ stop(): Promise<void> }>;
  client(queue: string): DeduplicationClient;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms until it holds; throws after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function describeEnqueueDeduplication(name: string, stack: DeduplicationStack): void {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
  });

  /** A worker recording its runs, and `count` clients; all on a fresh queue. */
  async function setup(count: number): Promise<{ runs: Array<{ n: number; at: number }>; clients: DeduplicationClient[] }> {
    const queue = `cqt.dedup.${randomUUID().slice(0, 8)}`;
    const runs: Array<{ n: number; at: number }> = [];
    const worker = await stack.worker(queue, (n) => { runs.push({ n, at: Date.now() }); });
    closers.push(() => worker.stop());
    const clients = Array.from({ length: count }, () => {
      const client = stack.client(queue);
      closers.push(() => client.close());
      return client;
    });
    return { runs, clients };
  }

  describe(`enqueue-time deduplication: ${name}`, () => {
    it('runs the task once for 1,000 concurrent calls with one id (simple), all sharing its id; a call after it finished runs again', async () => {
      const { runs, clients } = await setup(4);
      const id = `once-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => clients[i % clients.length]!.send(i, 300, { deduplicationId: id })));
      const ids = new Set(results.map((r) => r.id));
      expect(ids.size).toBe(1);
      const first = await results[0]!.get({ timeout: 30 });
      await sleep(500); // a second run would have started by now
      expect(runs).toHaveLength(1);
      expect(runs[0]!.n).toBe(first);
      // The worker releases the key as it finishes the task: then the next call sends a new one.
      const client = clients[0]!;
      await until('the key to be released', async () => (await client.holder(id)) === null);
      const again = await client.send(5000, 0, { deduplicationId: id });
      expect(ids.has(again.id)).toBe(false);
      expect(await again.get({ timeout: 30 })).toBe(5000);
      expect(runs.map((r) => r.n)).toEqual([first, 5000]);
    });

    it('throttle: the task of the window even once finished; a new one after deduplicationTtl', async () => {
      const { runs, clients } = await setup(1);
      const client = clients[0]!;
      const opts: DeduplicationCall = { deduplicationId: `window-${randomUUID()}`, deduplicationTtl: 3 };
      const before = Date.now();
      const a = await client.send(1, 0, opts);
      const claimed = Date.now(); // the window opened between `before` and now
      expect(await a.get({ timeout: 30 })).toBe(1);
      expect((await client.send(2, 0, opts)).id).toBe(a.id);
      expect(Date.now() - before).toBeLessThan(3000); // the second call was inside the window
      await sleep(Math.max(0, claimed + 3200 - Date.now()));
      const b = await client.send(3, 0, opts);
      expect(b.id).not.toBe(a.id);
      expect(await b.get({ timeout: 30 })).toBe(3);
      expect(runs.map((r) => r.n)).toEqual([1, 3]);
    });

    it('debounce: one run, with the last call\'s arguments, deduplicationTtl after the last call, under the first call\'s id', async () => {
      const { runs, clients } = await setup(2);
      const opts: DeduplicationCall = { deduplicationId: `quiet-${randomUUID()}`, deduplicationTtl: 1.5, deduplicationMode: 'debounce' };
      const sent: SentTask[] = [];
      let last = 0; // just before the last call: its message is due 1.5 s after that, or later
      for (let n = 1; n <= 4; n++) {
        last = Date.now();
        sent.push(await clients[n % 2]!.send(n, 0, opts));
        if (n < 4) await sleep(250);
      }
      expect(new Set(sent.map((r) => r.id)).size).toBe(1);
      expect(await sent[0]!.get({ timeout: 30 })).toBe(4);
      await sleep(500); // the superseded messages were due before the last one: none may run
      expect(runs.map((r) => r.n)).toEqual([4]);
      expect(runs[0]!.at).toBeGreaterThanOrEqual(last + 1500 - 20); // timer granularity
      // Once it ran, a call starts a new debounce window and a new task.
      const next = await clients[0]!.send(9, 0, opts);
      expect(next.id).not.toBe(sent[0]!.id);
      expect(await next.get({ timeout: 30 })).toBe(9);
      expect(runs.map((r) => r.n)).toEqual([4, 9]);
    });
  });
}
