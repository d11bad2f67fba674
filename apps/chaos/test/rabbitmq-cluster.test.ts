/**
 * cq issue 17, many hosts: five network-namespace hosts on one bridge — three RabbitMQ nodes
 * clustered (long names `cqnode-<rand>@<ip>`, one cookie), a `cq worker` host and a publisher host.
 * The queue is a quorum queue whose leader is on the node the worker is connected to; that node is
 * SIGKILLed while the publisher publishes with confirms and the worker runs acks_late tasks. The
 * worker fails over to the next URL of its `;`-separated broker list; the two surviving nodes elect a
 * new leader. Every confirmed publish must run, with at most the in-flight count run twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHosts, startRabbitCluster, type Host, type Hosts, type RabbitNode } from '@cq/tooling/testing';
import { clusterUnderKill, expectNothingLost, summary } from './cluster-under-kill.js';

/** The leader and members of quorum queue `queue` (`rabbitmqctl list_queues`), asked of `node`. */
async function quorumInfo(node: RabbitNode, queue: string): Promise<{ leader: string; members: string } | null> {
  const out = await node.ctl(['list_queues', 'name', 'leader', 'members', '--quiet', '--no-table-headers']);
  const row = out.split('\n').map((line) => line.trim().split('\t')).find((cols) => cols[0] === queue);
  return row ? { leader: row[1] ?? '', members: row[2] ?? '' } : null;
}

/**
 * The nodes that hold AMQP connections from each of `peers` (addresses), asked of `node`, which lists
 * the whole cluster's: a connection's pid `<name@host.N.N.N>` names its node. One `rabbitmqctl` call
 * for all peers (each call boots an Erlang VM, seconds on a loaded machine).
 */
async function nodesServing(node: RabbitNode, peers: readonly string[]): Promise<string[][]> {
  const out = await node.ctl(['list_connections', 'pid', 'peer_host', '--quiet', '--no-table-headers']);
  const rows = out.split('\n').map((line) => line.trim().split('\t'));
  return peers.map((peer) => rows.filter((cols) => cols[1] === peer)
    .map((cols) => /^<(.+)\.\d+\.\d+\.\d+>$/.exec(cols[0]!)?.[1] ?? cols[0]!));
}

describe('a three-node RabbitMQ cluster on hosts of its own, a node SIGKILLed under load', () => {
  let hosts: Hosts | null = null;
  let nodes: RabbitNode[] = [];
  beforeAll(async () => {
    hosts = makeHosts(5);
    nodes = await startRabbitCluster(hosts.hosts.slice(0, 3), { prefix: 'cqnode' });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.destroy()));
    hosts?.destroy();
  }, 60_000);

  /**
   * One run of the scenario: the worker's broker list starts with n0, the publisher's with n1, so
   * each is connected to that node; `victim` (0 or 1) is SIGKILLed under load. A node killed by an
   * earlier case is booted again first (it rejoins the cluster).
   */
  async function killUnderLoad(victim: 0 | 1) {
    for (const node of nodes) await node.boot();
    const [n0, n1, n2] = nodes as [RabbitNode, RabbitNode, RabbitNode];
    const killed = nodes[victim]!;
    const [, , , workerHost, publisherHost] = hosts!.hosts as [Host, Host, Host, Host, Host];
    const status = JSON.parse(await n2.ctl(['cluster_status', '--formatter', 'json'])) as { running_nodes: string[] };
    expect(new Set(status.running_nodes)).toEqual(new Set(nodes.map((n) => n.node)));
    let before: { leader?: string; workerOn: string[]; publisherOn: string[] } = { workerOn: [], publisherOn: [] };
    let after: { leader?: string; members?: string; workerOn: string[] } = { workerOn: [] };
    const survivor = nodes[2]!;
    const outcome = await clusterUnderKill({
      worker: { host: workerHost, broker: [n0, n1, n2].map((n) => n.url).join(';') },
      publisher: { host: publisherHost, broker: [n1, n2, n0].map((n) => n.url).join(';') },
      // 15 s of publishing: the rabbitmqctl questions before the kill take seconds on a loaded machine,
      // and the kill must still find the publisher publishing.
      paceMs: 15_000,
      beforeKill: async (queue) => {
        // Both questions at once, while the publisher is still publishing (it stops after paceMs).
        const [info, [workerOn = [], publisherOn = []]] = await Promise.all([
          quorumInfo(survivor, queue), nodesServing(survivor, [workerHost.ip, publisherHost.ip])]);
        before = { leader: info?.leader, workerOn, publisherOn };
      },
      kill: () => killed.kill(),
      afterDrain: async (queue) => {
        const [info, [workerOn = []]] = await Promise.all([quorumInfo(survivor, queue), nodesServing(survivor, [workerHost.ip])]);
        after = { leader: info?.leader, members: info?.members, workerOn };
      },
    });
    console.info(summary(`rabbitmq cluster, ${victim === 0 ? "the worker's" : "the publisher's"} node killed`, outcome));
    console.info(`quorum leader ${before.leader} → ${after.leader}; worker connected to ${before.workerOn.join(', ')} → ${after.workerOn.join(', ')}; publisher to ${before.publisherOn.join(', ')}`);
    // Who was connected where: the worker to n0 (which declared the queue, so leads it), the publisher to n1.
    expect(before.leader).toBe(n0.node);
    expect(new Set(before.workerOn)).toEqual(new Set([n0.node]));
    expect(new Set(before.publisherOn)).toEqual(new Set([n1.node]));
    // Afterwards a live node leads the queue and the worker is connected to live nodes only.
    const alive = nodes.filter((n) => n !== killed).map((n) => n.node);
    expect(alive).toContain(after.leader);
    expect(after.workerOn.length).toBeGreaterThan(0);
    for (const node of after.workerOn) expect(alive).toContain(node);
    expectNothingLost(outcome);
  }

  it('the node the worker is connected to, leading the quorum queue: the worker fails over, every confirmed publish runs', async () => {
    await killUnderLoad(0);
  }, 60_000);

  it('the node the publisher is connected to: the publisher fails over, every confirmed publish runs', async () => {
    await killUnderLoad(1);
  }, 60_000);
});
