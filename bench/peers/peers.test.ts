/**
 * The peers against the real services (Redis DB 14, RabbitMQ queue `bench.peer.celery`, PostgreSQL schema
 * `pgboss_bench`), with small N:
 * each measures something and leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBullmq } from './bullmq.js';
import { runCelery } from './celery.js';
import { runPgBoss } from './pg-boss.js';
import { printTable, runPeers } from './index.js';
import { drainRate, pct, type PeerFigures } from './stats.js';

const REDIS = 'redis://127.0.0.1:6379/14';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const PG = 'postgresql://postgres@127.0.0.1:5432/test';
const cq: PeerFigures = { system: 'cq', drain: 1000, publish: 2000, rtMs: [1, 2, 3] };

/** Keys in DB 14 that a peer could have made (python3-redis: bench has no Redis client of its own). */
function peerKeys(): string[] {
  const py = 'import redis, json; r = redis.Redis.from_url("' + REDIS + '"); '
    + 'print(json.dumps(sorted(k.decode() for p in ("*bench.peer*", "celery-task-meta-*") for k in r.keys(p))))';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py]).toString()) as string[];
}

/** Whether queue `bench.peer.celery` exists on RabbitMQ (a passive declare). */
function amqpQueueExists(): boolean {
  const py = 'from kombu import Connection\nwith Connection("' + AMQP + '") as c:\n  try:\n'
    + '    c.default_channel.queue_declare("bench.peer.celery", passive=True); print("yes")\n  except Exception:\n    print("no")';
  return execFileSync('/usr/bin/python3', ['-c', py]).toString().trim() === 'yes';
}

function expectFigures(f: PeerFigures, rt: number): void {
  expect(f.drain).toBeGreaterThan(0);
  expect(f.publish).toBeGreaterThan(0);
  expect(f.rtMs).toHaveLength(rt);
  expect(f.rtMs).toEqual([...f.rtMs].sort((a, b) => a - b));
  expect(f.rtMs[0]!).toBeGreaterThan(0);
}

afterEach(() => vi.restoreAllMocks());

describe('stats', () => {
  it('pct is nearest-rank on a sorted list, as bench/run.ts', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(pct(xs, 50)).toBe(51);
    expect(pct(xs, 99)).toBe(100);
    expect(pct([], 50)).toBeNaN();
  });

  it('drainRate counts from first to last completion, whatever the order', () => {
    expect(drainRate(3, [3000, 1000, 2000])).toBe(1.5);
    expect(drainRate(1, [5, 5])).toBe(1000); // same ms: floored at 1 ms
  });

  it('printTable prints one row per system, numbers right-aligned', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => { lines.push(...s.split('\n')); });
    printTable([cq, { system: 'celery 5.2.6 -P solo -c 1', drain: 1234.4, publish: 99.6, rtMs: [2.5], workerCpuUs: 812.34, brokerCpuUs: 40 }]);
    const rows = lines.filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(3);
    // CPU per task in µs (worker, broker, client); – where a peer did not measure it.
    expect(rows[2]).toMatch(/^\| celery 5\.2\.6 -P solo -c 1 \|\s+1234 \|\s+100 \|\s+2\.50 \|\s+2\.50 \|\s+812\.3 \|\s+40\.0 \|\s+– \|$/);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
  });
});

describe('runPeers', () => {
  it('runs nothing but prints cq on a broker no peer speaks', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const rows = await runPeers('all', { broker: 'sqlite:///tmp/x.db', resultBackend: 'sqlite:///tmp/y.db', n: 10, rt: 1, c: 1, cq });
    expect(rows).toEqual([cq]);
  });

  it('rejects an unknown peer name', async () => {
    await expect(runPeers('sidekiq', { broker: REDIS, resultBackend: REDIS, n: 10, rt: 1, c: 1, cq })).rejects.toThrow(/unknown peer sidekiq/);
  });
});

describe('peers on the real brokers', () => {
  it('bullmq on Redis: publish, drain and round trip, then its keys are gone', async () => {
    const f = await runBullmq({ url: REDIS, n: 300, rt: 20, concurrency: 20 });
    expect(f.system).toMatch(/^bullmq 6\.\d+\.\d+ concurrency 20$/);
    expectFigures(f, 20);
    expect(f.workerCpuUs).toBeGreaterThan(0);
    expect(f.clientCpuUs).toBeGreaterThan(0);
    expect(peerKeys()).toEqual([]);
  });

  it('bullmq fast profile: jobs removed on completion, drain timed from its events, no round trip', async () => {
    const f = await runBullmq({ url: REDIS, n: 300, rt: 20, concurrency: 20, fast: true });
    expect(f.system).toMatch(/^bullmq 6\.\d+\.\d+ concurrency 20 \(removeOnComplete\)$/);
    expect(f.drain).toBeGreaterThan(0);
    expect(f.rtMs).toEqual([]);
    expect(peerKeys()).toEqual([]);
  });

  it('pg-boss on PostgreSQL: the same, and its schema is dropped afterwards', async () => {
    const f = await runPgBoss({ url: PG, n: 100, rt: 5, concurrency: 20 });
    expect(f.system).toMatch(/^pg-boss 10\.\d+\.\d+ work\(\) ×20$/);
    expectFigures(f, 5);
    const left = execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-tAc', "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgboss_bench'"]).toString().trim();
    expect(left).toBe('0');
  });

  it('celery prefork on Redis: the same, and no queue, binding or result left', async () => {
    const f = await runCelery({ broker: REDIS, resultBackend: REDIS, n: 200, rt: 10, pool: 'prefork', concurrency: 2 });
    expect(f.system).toMatch(/^celery 5\.\d+\.\d+ -P prefork -c 2$/);
    expectFigures(f, 10);
    expect(f.workerCpuUs).toBeGreaterThan(0);
    expect(peerKeys()).toEqual([]);
  });

  it('celery prefork on RabbitMQ with Redis results: the queue is deleted afterwards', async () => {
    const f = await runCelery({ broker: AMQP, resultBackend: REDIS, n: 200, rt: 10, pool: 'prefork', concurrency: 2 });
    expectFigures(f, 10);
    expect(amqpQueueExists()).toBe(false);
    expect(peerKeys()).toEqual([]);
  });
});
