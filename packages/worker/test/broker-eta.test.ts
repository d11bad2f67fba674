/**
 * Broker-side ETA (cq, beyond Celery) with a real `cq worker` process (`fixtures/eta-park-app.mjs`),
 * run as installed: the built CLI (`apps/cli/bin/cq.js` → `dist/`, built first with turbo; no
 * TypeScript loader, which alone would add ~30 MiB), with the Node flags its launcher passes. The
 * broker, the result backend and the record of runs are a private `redis-server` started here.
 *
 * Redis: 100,000 ETA tasks 1–60 minutes ahead, pushed straight into the queue's list as a Python
 * client publishes them (protocol v2 envelopes, pipelined), plus 200 due within 6–20 s among the
 * first ones, and 20 due within 6–10 s sent by a cq client, which parks them at publish. With a 10 s
 * visibility timeout (horizon 5 s) the worker parks the far ones and the soon ones; its resident
 * memory stays under 100 MiB (absolute: the whole worker, sampled every 100 ms); the soon ones each
 * run once, none before its ETA (holding them in memory for up to 20 s would have them redelivered
 * after 10 s and run twice); the 99,800 others stay parked in the sorted set.
 *
 * SQLite: the same at a smaller scale, half published by a client that parks at publish and half
 * by one with `store_eta: false` (the worker parks those).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, buildTaskMessage } from '@cq/app';
import { Connection, toEnvelope, type RawMessage } from '@cq/kombu';
import { sqliteTransport } from '@cq/transport-sqlite';
import { buildPackages, cqWorker, requireCommand, startServer, stopTracked, waitFor, type CqProcess, type TrackedServer } from '@cq/tooling/testing';
import { testPlugins } from './plugins.js';

const appModule = fileURLToPath(new URL('./fixtures/eta-park-app.mjs', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'cq-broker-eta-'));
const MINUTE = 60_000;
/** The limit of the worker's resident memory, in MiB (cq issue 17). */
const RSS_LIMIT_MIB = 100;
/** better-sqlite3, as @cq/transport-sqlite depends on it (not a dependency of this package), to read the broker's rows. */
const require = createRequire(import.meta.url);
const Database = createRequire(require.resolve('@cq/transport-sqlite/package.json'))('better-sqlite3') as new (file: string, options: { readonly: boolean }) => {
  prepare(sql: string): { all(): unknown[] };
  close(): void;
};
let server: TrackedServer | null = null;
let redis: Redis;
/** The private Redis: broker of the Redis case, result backend and record of runs of both. */
let ETA_REDIS = '';

beforeAll(async () => {
  server = await startServer({
    name: 'redis-server', command: requireCommand('redis-server', 'redis-server'), tempDir: true,
    args: (port, cwd) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', cwd!],
  });
  ETA_REDIS = `redis://127.0.0.1:${server.port}/0`;
  redis = new Redis(ETA_REDIS);
  await buildPackages();
}, 25 * MINUTE);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A task message `etapark.stamp(key, n)` due at `eta` (ms), as a Python client builds it. */
function stampMessage(key: string, n: number, eta: number): RawMessage {
  const parts = buildTaskMessage({ name: 'etapark.stamp', id: randomUUID(), args: [key, n], eta: new Date(eta), ignoreResult: true });
  return {
    body: Buffer.from(JSON.stringify(parts.body)), contentType: 'application/json', contentEncoding: 'utf-8',
    headers: { ...parts.headers }, properties: { ...parts.properties },
  };
}

/** VmRSS of `pid` in MiB (0 once it is gone). */
function residentMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Samples a process's VmRSS every 100 ms; `stop()` returns the peak in MiB. */
function sampleRss(pid: number): { ready: number; stop(): number } {
  const ready = residentMiB(pid);
  let peak = ready;
  const timer = setInterval(() => { peak = Math.max(peak, residentMiB(pid)); }, 100);
  return { ready, stop: () => { clearInterval(timer); return Math.max(peak, residentMiB(pid)); } };
}

/** The runs recorded under `key`: task number → run times (ms). */
async function runs(key: string): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const entry of await redis.lrange(key, 0, -1)) {
    const [n, at] = entry.split(':').map(Number) as [number, number];
    out.set(n, [...(out.get(n) ?? []), at]);
  }
  return out;
}

/** Asserts each task of `due` (number → ETA ms) ran exactly once and not before its ETA, and nothing else ran. */
function expectOnceOnTime(ran: Map<number, number[]>, due: Map<number, number>): void {
  const twice = [...ran].filter(([, at]) => at.length > 1).map(([n]) => n);
  const early = [...ran].filter(([n, at]) => at.some((t) => t < (due.get(n) ?? Infinity))).map(([n]) => n);
  expect({ twice, early }).toEqual({ twice: [], early: [] });
  expect([...ran.keys()].sort((a, b) => a - b)).toEqual([...due.keys()].sort((a, b) => a - b));
}

/** The built `cq worker` for `fixtures/eta-park-app.mjs` on `broker` and `queue` (same flags for both brokers), once ready. */
const startWorker = (broker: string, queue: string, options: Record<string, unknown>): Promise<CqProcess> => cqWorker(
  ['-A', appModule, '-b', broker, '-P', 'async', '-c', '20', '-Q', queue, '-l', 'info', '--without-mingle', '--without-gossip', '--without-heartbeat'],
  { CQ_ETA_REDIS: ETA_REDIS, CQ_ETA_TRANSPORT_OPTIONS: JSON.stringify(options) }, 60_000, undefined, { built: true },
);

describe('broker-side ETA with a cq worker', () => {
  it('Redis: parks 100,000 far ETA tasks, memory stays bounded, the soon ones run once each and on time', async () => {
    const queue = `cqt.etapark.${randomUUID().slice(0, 8)}`;
    const key = `stamps:${queue}`;
    const options = { visibility_timeout: 10, unacked_restore_interval: 1 };
    let worker: CqProcess | undefined;
    const client = new Celery('etapark-client', { broker_url: ETA_REDIS, task_ignore_result: true, broker_transport_options: options }, { plugins: testPlugins() });
    try {
      worker = await startWorker(ETA_REDIS, queue, options);
      const rss = sampleRss(worker.pid!);
      const due = new Map<number, number>();
      const start = Date.now();

      // A cq client parks at publish: nothing reaches the list.
      for (let i = 0; i < 20; i++) {
        const eta = start + 6000 + i * 200;
        due.set(100_000 + i, eta);
        await client.sendTask('etapark.stamp', [key, 100_000 + i], { queue, eta: new Date(eta) });
      }
      expect(await redis.zcard(`_cq.eta.index\x06\x16${queue}`)).toBe(20);

      // A "Python" client: 100,000 ordinary messages; 200 of the first 2,000 are due within 6–20 s.
      const total = 100_000;
      const pipe = () => redis.pipeline();
      let batch = pipe();
      for (let n = 0; n < total; n++) {
        const soon = n < 2000 && n % 10 === 0;
        const eta = soon ? start + 6000 + (n / 10) * 70 : start + MINUTE + ((n * 7919) % (59 * MINUTE));
        if (soon) due.set(n, eta);
        batch.lpush(queue, JSON.stringify(toEnvelope(stampMessage(key, n, eta), '', queue)));
        if (n % 2000 === 1999) {
          await batch.exec();
          batch = pipe();
        }
      }
      await batch.exec();
      const published = Date.now();
      expect(due.size).toBe(220);

      // Everything is taken off the list and parked; the soon ones come back and run once.
      await waitFor(async () => (await redis.llen(queue)) === 0, 60_000, () => `queue not drained, log:\n${worker!.err.join('').slice(-3000)}`);
      const drained = Date.now();
      await waitFor(async () => (await redis.lrange(key, 0, -1)).length >= due.size, 60_000, () => `only ${due.size} runs expected, log:\n${worker!.err.join('').slice(-3000)}`);
      // Past every ETA by more than the visibility timeout's sweep: a redelivered copy would have run by now.
      await new Promise((r) => setTimeout(r, 3000));
      const peak = rss.stop();
      expectOnceOnTime(await runs(key), due);
      expect(await redis.zcard(`_cq.eta.index\x06\x16${queue}`)).toBe(total - 200);
      expect(await redis.hlen(`_cq.eta.messages\x06\x16${queue}`)).toBe(total - 200);
      expect(await redis.llen(queue)).toBe(0);
      expect(await redis.hlen('unacked')).toBe(0);
      console.info(`redis: published 100,000 in ${published - start} ms, all taken by ${drained - start} ms; worker RSS ${rss.ready.toFixed(0)} MiB ready, `
        + `${peak.toFixed(0)} MiB peak (limit ${RSS_LIMIT_MIB} MiB; built CLI with its default --max-semi-space-size)`);
      // Parked, the tasks cost the worker nothing: the whole worker stays under the limit, not ~1 KiB x 100,000 held.
      expect(peak).toBeLessThan(RSS_LIMIT_MIB);
    } finally {
      if (worker) await stopTracked(worker);
      await client.close();
    }
  }, 90_000);

  it('SQLite: parks far ETAs at publish and on receipt; the soon ones run once each and on time', async () => {
    const broker = `sqlite:///${path.join(dir, 'broker.db')}`;
    const queue = 'cqt.etapark.sqlite';
    const key = `stamps:${queue}`;
    const options = { visibility_timeout: 10, unacked_restore_interval: 1 };
    const transports = { plugins: [sqliteTransport()] };
    const parking = new Celery('etapark-sqlite', { broker_url: broker, task_ignore_result: true, broker_transport_options: options }, transports);
    let worker: CqProcess | undefined;
    const plain = new Connection(broker, { transportOptions: { ...options, store_eta: false }, transports: parking.transports });
    try {
      worker = await startWorker(broker, queue, options);
      const rss = sampleRss(worker.pid!);
      const channel = await plain.connect().then((c) => c.channel());
      const due = new Map<number, number>();
      const start = Date.now();
      const total = 5000;
      for (let n = 0; n < total; n++) {
        const soon = n % 100 === 0;
        const eta = soon ? start + 6000 + (n / 100) * 150 : start + MINUTE + ((n * 7919) % (59 * MINUTE));
        if (soon) due.set(n, eta);
        // Odd numbers from a client that parks at publish, even ones from one that does not.
        if (n % 2 === 1) await parking.sendTask('etapark.stamp', [key, n], { queue, eta: new Date(eta) });
        else await channel.publish(stampMessage(key, n, eta), '', queue);
      }
      await waitFor(async () => (await redis.lrange(key, 0, -1)).length >= due.size, 40_000, () => `log:\n${worker!.err.join('').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 3000));
      const peak = rss.stop();
      expectOnceOnTime(await runs(key), due);
      const db = new Database(path.join(dir, 'broker.db'), { readonly: true });
      try {
        const rows = db.prepare('SELECT visible, visible_after IS NOT NULL AS parked, lease_owner IS NOT NULL AS leased, COUNT(*) AS n FROM kombu_message GROUP BY 1, 2, 3').all();
        expect(rows).toEqual([{ visible: 0, parked: 1, leased: 0, n: total - due.size }]);
      } finally {
        db.close();
      }
      expect(peak - rss.ready).toBeLessThan(100);
    } finally {
      if (worker) await stopTracked(worker);
      await plain.close();
      await parking.close();
    }
  }, 60_000);
});
