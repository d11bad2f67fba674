/**
 * Redis Cluster (`redis+cluster://`, cq's layout with `{queue}` hash tags: `src/keys.ts`) against a
 * private six-node cluster started here (three masters, three replicas), stopped after:
 * - the describeTransport conformance suite passes on it;
 * - a queue's keys (lists, priority lists, unacked hash and index, parked-ETA keys) share one slot;
 * - a real `cq worker` runs tasks sent by a cq client over `redis+cluster://`, results through the
 *   Redis backend on the same cluster, and a chord (whose `.j`/`.t`/`.s` keys meet in one script).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '@cq/kombu';
import { describeTransport } from '@cq/kombu/testing';
import { Celery, chord, signature } from '@cq/celery';
import { cqWorker, startRedisCluster, stopTracked, waitFor, type CqProcess, type RedisClusterNodes } from '@cq/tooling/testing';
import { KeyLayout } from '../src/keys.js';
import { transport } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/redis-app.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-cluster-'));
let cluster: RedisClusterNodes;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describeTransport('redis+cluster', () => new Connection(cluster.url, { transport }));

describe('redis+cluster://', () => {
  it('puts every key of a queue in one slot', () => {
    const layout = new KeyLayout({ cluster: true });
    const keys = [...layout.priorityKeys('q.one'), ...layout.unackedKeys('q.one', 'unacked', 'unacked_index'), layout.etaIndexKey('q.one'), layout.etaMessagesKey('q.one')];
    const slots = new Set(keys.map((k) => cluster.cli(cluster.nodes[0]!.port, ['CLUSTER', 'KEYSLOT', k]).trim()));
    expect(keys).toContain('{q.one}');
    expect(slots.size).toBe(1);
  });

  it('runs tasks and a chord from a cq client on a real cq worker, results through the Redis backend on the cluster', async () => {
    const log = path.join(dir, 'runs.log');
    const env = { CQ_REDIS_BROKER: cluster.url, CQ_REDIS_BACKEND: cluster.url, CQ_REDIS_OPTIONS: '{}', CQ_TEST_LOG: log };
    let worker: CqProcess | null = null;
    const client = new Celery('clusterclient', { broker_url: cluster.url, result_backend: cluster.url });
    try {
      worker = await cqWorker(['-A', fixture, '-P', 'async', '-c', '4', '-l', 'info', '--without-mingle', '--without-gossip'], env);
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => client.sendTask<number>('redis.mark', [n])));
      expect(await Promise.all(results.map((r) => r.get({ timeout: 20 })))).toEqual([1, 2, 3, 4, 5]);
      await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length === 5, 10_000);
      const mark = client.task('redis.mark', (n: number) => n);
      const total = client.task('redis.total', (xs: number[]) => xs.length);
      const joined = await chord([10, 20, 30, 40].map((n) => signature(mark, [n])), signature(total)).applyAsync();
      expect(await joined.get({ timeout: 20 })).toBe(100);
    } finally {
      if (worker) await stopTracked(worker);
      await client.close();
    }
  }, 90_000);
});
