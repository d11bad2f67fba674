/**
 * Redis Sentinel (`sentinel://`, kombu's and Celery's form) under failover, against a private group
 * started here: a primary, two replicas and three Sentinels (password-protected, the Sentinels with
 * their own password given as `sentinel_kwargs`). A `cq worker` and a cq publisher (4 concurrent
 * publish loops) both use `sentinel://` for broker and result backend; the primary is SIGKILLed under
 * load, a Sentinel promotes a replica, both reconnect through the Sentinels, and:
 * - every task whose publish resolved runs (publishes wait for one replica: `wait_for_replicas: 1`,
 *   so an acknowledged publish is on a replica when the primary dies); a batch the worker took just
 *   before the kill whose reply was lost is restored from `unacked` after the 5 s visibility timeout;
 * - a task runs twice at most for the messages in flight at the kill (prefetch 4);
 * - the time from the kill to the first publish that succeeds and to the first task run from a
 *   post-kill publish is printed;
 * - a result stored after the failover is read back through the `sentinel://` result backend.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, type AsyncResult } from '@cq/celery';
import { parseRedisUrl } from '@cq/redis';
import { cqWorker, startRedisSentinelGroup, stopTracked, waitFor, type CqProcess, type RedisSentinelGroup } from '@cq/tooling/testing';

const fixture = fileURLToPath(new URL('./fixtures/redis-app.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-sentinel-'));
const log = path.join(dir, 'runs.log');
let group: RedisSentinelGroup;
let worker: CqProcess | null = null;
let client: Celery | null = null;

beforeAll(async () => {
  group = await startRedisSentinelGroup({ replicas: 2 });
}, 60_000);
afterAll(async () => {
  if (worker) await stopTracked(worker);
  await client?.close();
  await group?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const runs = (): { n: number; at: number }[] =>
  existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => { const [n, at] = l.split(' '); return { n: Number(n), at: Number(at) }; }) : [];

describe('sentinel:// URLs', () => {
  it('reads kombu’s Sentinel list: the master’s password and db from the first URL, the Sentinels’ password from sentinel_kwargs', () => {
    const url = parseRedisUrl('sentinel://:m%40ster@10.0.0.1:26380/3;sentinel://10.0.0.2;sentinel://10.0.0.3:26381', {
      transportOptions: { master_name: 'mymaster', sentinel_kwargs: { password: 'sent' } }, transportOptionsSetting: 'broker_transport_options',
    });
    expect(url).toMatchObject({
      scheme: 'sentinel', password: 'm@ster', db: 3, where: 'sentinel:mymaster@10.0.0.1:26380,10.0.0.2:26379,10.0.0.3:26381/3',
      sentinel: { masterName: 'mymaster', password: 'sent', username: null, hosts: [{ host: '10.0.0.1', port: 26380 }, { host: '10.0.0.2', port: 26379 }, { host: '10.0.0.3', port: 26381 }] },
    });
    expect(() => parseRedisUrl('sentinel://h:1', { transportOptionsSetting: 'broker_transport_options' }))
      .toThrow("set broker_transport_options = {'master_name': '<name Sentinel monitors>'}");
  });

  it('keeps every acknowledged publish when the primary is SIGKILLed under load; duplicates at most the in-flight count', async () => {
    const options = { master_name: group.masterName, sentinel_kwargs: { password: group.sentinelPassword }, wait_for_replicas: 1, wait_for_replicas_timeout: 0.5,
      // A batch taken by the worker whose reply died with the primary is in `unacked` on the new master: it comes back after this.
      visibility_timeout: 5, unacked_restore_interval: 1 };
    const env = { CQ_REDIS_BROKER: group.url(0), CQ_REDIS_BACKEND: group.url(1), CQ_REDIS_OPTIONS: JSON.stringify(options), CQ_TEST_LOG: log };
    const prefetch = 4;
    worker = await cqWorker(['-A', fixture, '-P', 'async', '-c', String(prefetch), '--prefetch-multiplier', '1', '-l', 'info', '--without-mingle', '--without-gossip'], env);
    client = new Celery('sentinelclient', {
      broker_url: env.CQ_REDIS_BROKER, result_backend: env.CQ_REDIS_BACKEND, broker_transport_options: options,
      ...({ result_backend_transport_options: options } as object), task_publish_retry: false,
    });
    const acked = new Set<number>();
    let failed = 0;
    let next = 0;
    let killedAt = 0;
    let firstPublishAfterKill = 0;
    let stopAt = Number.POSITIVE_INFINITY;
    const publisher = async (): Promise<void> => {
      while (acked.size < stopAt) {
        const n = next++;
        const started = Date.now();
        try {
          await client!.sendTask('redis.mark', [n]);
          acked.add(n);
          if (killedAt && started > killedAt && !firstPublishAfterKill) firstPublishAfterKill = Date.now();
        } catch {
          failed++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const loops = [publisher(), publisher(), publisher(), publisher()];
    const oldPrimary = group.primary.port;
    await waitFor(() => runs().length >= 300, 60_000, () => `only ${runs().length} ran before the kill`);
    killedAt = Date.now();
    const kill = { acked: acked.size };
    group.primary.child.kill('SIGKILL');
    await waitFor(() => group.masterPort() !== oldPrimary, 30_000, () => 'no replica was promoted');
    const promotedAt = Date.now();
    stopAt = kill.acked + 600; // keep publishing after the failover
    await Promise.all(loops);
    const ackedAfterKill = [...acked].filter((n) => n >= next - 600);
    expect(ackedAfterKill.length).toBeGreaterThan(0);
    await waitFor(() => { const seen = new Set(runs().map((r) => r.n)); return [...acked].every((n) => seen.has(n)); }, 60_000, () => {
      const seen = new Set(runs().map((r) => r.n));
      const missing = [...acked].filter((n) => !seen.has(n));
      const master = group.masterPort();
      if (process.env['CQ_SENTINEL_DEBUG']) writeFileSync(process.env['CQ_SENTINEL_DEBUG'], worker!.err.join(''));
      return `${missing.length} acknowledged tasks never ran (${missing.join(', ')}; killed at ${kill.acked}); on the new master: ` +
        `unacked ${group.cli(master, ['HLEN', 'unacked']).trim()}, queue ${group.cli(master, ['LLEN', 'celery']).trim()}\n${worker!.err.join('').slice(-1500)}`;
    });
    await new Promise((r) => setTimeout(r, 1000)); // a late duplicate would show now
    const all = runs();
    const duplicates = all.length - new Set(all.map((r) => r.n)).size;
    const firstRunAfterKill = Math.min(...all.filter((r) => r.at > killedAt && r.n >= kill.acked + prefetch * 4).map((r) => r.at));
    console.log(`sentinel failover: replica promoted ${promotedAt - killedAt} ms after the kill, first publish ok after ${firstPublishAfterKill - killedAt} ms, ` +
      `first task run after ${firstRunAfterKill - killedAt} ms; ${acked.size} acknowledged publishes all ran, ${failed} publishes failed during the failover, ${duplicates} duplicates`);
    expect(duplicates).toBeLessThanOrEqual(prefetch);
    // A new publish works on the new primary. Until the other replica has resynced from it, a publish
    // may be refused by wait_for_replicas (a typed, reported failure, nothing lost): try again.
    let result: AsyncResult<number> | undefined;
    await waitFor(async () => {
      result = await client!.sendTask<number>('redis.mark', [-1]).catch(() => undefined);
      return result !== undefined;
    }, 30_000, () => 'no publish was confirmed by the new primary and its replica');
    expect(await result!.get({ timeout: 20 })).toBe(-1);
  }, 180_000);
});
