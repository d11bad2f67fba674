/**
 * cq issue 17, many hosts: five network-namespace hosts on one bridge — three RabbitMQ nodes
 * clustered (long names `cqnode-<rand>@<ip>`, one cookie), a `cq worker` host and a publisher host.
 * The queue is a quorum queue whose leader is on the node the worker is connected to; that node is
 * SIGKILLed while the publisher publishes with confirms and the worker runs acks_late tasks. The
 * worker fails over to the next URL of its `;`-separated broker list; the two surviving nodes elect a
 * new leader. Every confirmed publish must run, with at most the in-flight count run twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHosts, startRabbitCluster, type Hosts, type RabbitNode } from '@cq/tooling/testing';
import { clusterUnderKill, summary } from './cluster-under-kill.js';

/** `rabbitmqctl list_queues name leader members` of `queue`, asked of `node`. */
async function quorumInfo(node: RabbitNode, queue: string): Promise<{ leader: string; members: string } | null> {
  const out = await node.ctl(['list_queues', 'name', 'leader', 'members', '--quiet', '--no-table-headers']);
  const row = out.split('\n').map((line) => line.trim().split(/\t/)).find((cols) => cols[0] === queue);
  return row ? { leader: row[1] ?? '', members: row[2] ?? '' } : null;
}

/** `rabbitmqctl list_connections pid peer_host`, asked of `node` (it lists every node's connections). */
async function connections(node: RabbitNode): Promise<string[]> {
  const out = await node.ctl(['list_connections', 'pid', 'peer_host', '--quiet', '--no-table-headers']);
  return out.split('\n').map((line) => line.trim()).filter(Boolean);
}

describe('a three-node RabbitMQ cluster on hosts of its own, a node SIGKILLed under load', () => {
  let hosts: Hosts | null = null;
  let nodes: RabbitNode[] = [];
  beforeAll(async () => {
    hosts = makeHosts(5);
    nodes = await startRabbitCluster(hosts.hosts.slice(0, 3), { prefix: 'cqnode' });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.destroy()));
    hosts?.destroy();
  }, 90_000);

  it('the worker on another host fails over and every confirmed publish runs', async () => {
    const [n0, n1, n2] = nodes as [RabbitNode, RabbitNode, RabbitNode];
    const [, , , workerHost, publisherHost] = hosts!.hosts;
    expect((await n0.ctl(['cluster_status', '--formatter', 'json'])).match(/"running_nodes":\[[^\]]*\]/)?.[0]).toContain(n2.node);
    let leaderBefore = '';
    let workerPeersBefore: string[] = [];
    const outcome = await clusterUnderKill({
      worker: { host: workerHost!, broker: [n0, n1, n2].map((n) => n.url).join(';') },
      publisher: { host: publisherHost!, broker: [n1, n2, n0].map((n) => n.url).join(';') },
      kill: async (queue) => {
        // What is killed: the node the worker is connected to, holding the queue's leader.
        leaderBefore = (await quorumInfo(n1, queue))?.leader ?? '';
        workerPeersBefore = await connections(n1);
        console.info(workerPeersBefore.join('\n'));
        await n0.kill();
      },
    });
    console.info(summary('rabbitmq cluster', outcome));
    console.info(`quorum leader before the kill ${leaderBefore}, after ${(await quorumInfo(n1, outcome.queue))?.leader}`);
    expect(workerPeersBefore.join('\n')).toContain(workerHost!.ip);
    expect(leaderBefore).toBe(n0.node);
    const after = await quorumInfo(n1, outcome.queue);
    expect([n1.node, n2.node]).toContain(after?.leader);
        expect(outcome.failed).toEqual([]);
    expect(outcome.confirmed.length).toBe(outcome.total);
    expect(outcome.ranBeforeKill).toBeGreaterThan(0);
    expect(outcome.missing, outcome.workerLog.slice(-3000)).toEqual([]);
    expect(outcome.duplicates).toBeLessThanOrEqual(outcome.inFlightBound);
    expect(outcome.ranAfterKill).toBeGreaterThan(0);
    expect(outcome.recoveredMs).not.toBeNull();
    expect(outcome.workerAlive).toBe(true);
    expect(outcome.workerExit.code).toBe(0);
    expect(outcome.publisherExit).toBe(0);
  }, 150_000);
});
