/**
 * cq issue 17, many hosts, Redis: a Sentinel group spread over three network-namespace hosts as over
 * three machines — on each a data node and a Sentinel (the primary on h0, a replica on h1 and on h2)
 * — a `cq worker` on a fourth host and a publisher on a fifth, both given the group's `sentinel://`
 * list. The primary's redis-server is SIGKILLed while the publisher publishes (each publish waits
 * until a replica holds it: `wait_for_replicas: 1`) and the worker runs acks_late tasks; the Sentinels
 * promote a replica and both follow it. Every publish that resolved must run, with at most the
 * in-flight count run twice; the time to recover and to the promotion are printed.
 *
 * The scenario (publisher pace, run and confirm records, recovery time) is `cluster-under-kill.ts`,
 * shared with the RabbitMQ cluster test; the group is `startRedisSentinelGroup({ hosts })`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHosts, startRedisSentinelGroup, type Host, type Hosts, type RedisSentinelGroup } from '@cq/tooling/testing';
import { clusterUnderKill, expectNothingLost, summary } from './cluster-under-kill.js';

/** How many connections from `peer` (an address) the data node on `port` holds (`CLIENT LIST`). */
function connectionsFrom(group: RedisSentinelGroup, port: number, peer: string): number {
  return group.cli(port, ['CLIENT', 'LIST']).split('\n').filter((line) => line.includes(` addr=${peer}:`)).length;
}

/** Polls the Sentinels every 50 ms until they name a master other than `oldPort`; resolves with when (ms since the epoch), or null after `timeoutMs`. */
async function promotion(group: RedisSentinelGroup, oldPort: number, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let port = oldPort;
    try {
      port = group.masterPort();
    } catch {
      // a Sentinel busy with the failover: ask again
    }
    if (port !== oldPort) return Date.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

describe('a Redis Sentinel group on hosts of its own, the primary SIGKILLed under load', () => {
  let hosts: Hosts | null = null;
  let group: RedisSentinelGroup | null = null;
  beforeAll(async () => {
    hosts = makeHosts(5);
    group = await startRedisSentinelGroup({ replicas: 2, hosts: hosts.hosts.slice(0, 3) });
  }, 60_000);
  afterAll(async () => {
    await group?.stop();
    hosts?.destroy();
  }, 60_000);

  it('the worker and the publisher follow the promoted replica; every acknowledged publish runs', async () => {
    const g = group!;
    const [h0, , , workerHost, publisherHost] = hosts!.hosts as [Host, Host, Host, Host, Host];
    const oldPrimary = g.primary.port;
    expect(g.addressOf(oldPrimary)).toBe(h0.ip);
    const transportOptions = {
      master_name: g.masterName, sentinel_kwargs: { password: g.sentinelPassword },
      // An acknowledged publish is on a replica too, so it survives the primary.
      wait_for_replicas: 1, wait_for_replicas_timeout: 0.5,
      // A batch taken just before the kill whose reply died with the primary is in `unacked` on the new master: back after 5 s.
      visibility_timeout: 5, unacked_restore_interval: 1,
    };
    // Publishes failing while no master is known are retried for up to ~20 s (0.1 s, then +0.1 s, at most 0.5 s apart).
    const retryPolicy = { max_retries: 40, interval_start: 0.1, interval_step: 0.1, interval_max: 0.5 };
    let before = { worker: 0, publisher: 0 };
    let after = { master: oldPrimary, worker: 0 };
    let killedAt = 0;
    let promoted: Promise<number | null> = Promise.resolve(null);
    const outcome = await clusterUnderKill({
      worker: { host: workerHost, broker: g.url(0) },
      publisher: { host: publisherHost, broker: g.url(0) },
      env: {
        CQ_TEST_QUEUE_TYPE: 'classic', CQ_TEST_TRANSPORT_OPTIONS: JSON.stringify(transportOptions),
        CQ_TEST_PUBLISH_RETRY_POLICY: JSON.stringify(retryPolicy),
      },
      beforeKill: () => {
        before = { worker: connectionsFrom(g, oldPrimary, workerHost.ip), publisher: connectionsFrom(g, oldPrimary, publisherHost.ip) };
        return Promise.resolve();
      },
      kill: async () => {
        const child = g.primary.child;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        killedAt = Date.now();
        child.kill('SIGKILL');
        await exited;
        promoted = promotion(g, oldPrimary, 30_000);
      },
      afterDrain: () => {
        const master = g.masterPort();
        after = { master, worker: connectionsFrom(g, master, workerHost.ip) };
        return Promise.resolve();
      },
    });
    const promotedAt = await promoted;
    console.info(summary('redis sentinel, the primary killed', outcome));
    console.info(`sentinel failover: replica promoted ${promotedAt === null ? 'never' : `${promotedAt - killedAt} ms`} after the kill; `
      + `primary ${g.addressOf(oldPrimary)}:${oldPrimary} → ${g.addressOf(after.master)}:${after.master}; connections before: worker ${before.worker}, `
      + `publisher ${before.publisher}; after: worker ${after.worker}`);
    // Both were connected to the primary; afterwards a replica is master and holds the worker's connections.
    expect(before.worker).toBeGreaterThan(0);
    expect(before.publisher).toBeGreaterThan(0);
    expect(promotedAt).not.toBeNull();
    expect(g.replicas.map((r) => r.port)).toContain(after.master);
    expect(after.worker).toBeGreaterThan(0);
    expectNothingLost(outcome);
  }, 120_000);
});
