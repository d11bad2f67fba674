/**
 * A private six-node Redis Cluster for tests (three masters, one replica each): six `redis-server`
 * processes with `--cluster-enabled yes` on free ports of 127.0.0.1 (each with its own cluster bus
 * port and config file in its temporary directory, tracked by {@link startServer}), joined with
 * `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`; resolves once every node
 * reports `cluster_state:ok`.
 */
import { execFileSync } from 'node:child_process';
import { freePort } from './ports.js';
import { requireCommand } from './peers.js';
import { startServer, type TrackedServer } from './servers.js';

export interface RedisClusterNodes {
  nodes: TrackedServer[];
  /** `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,…` */
  url: string;
  /** `redis-cli -c` against a node; its stdout. */
  cli(port: number, args: readonly string[]): string;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterNodes> {
  const server = requireCommand('redis-server', 'redis-server');
  const redisCli = requireCommand('redis-cli', 'redis-tools');
  const nodes: TrackedServer[] = [];
  const stop = async (): Promise<void> => {
    for (const n of nodes.reverse()) await n.stop().catch(() => undefined);
  };
  const cli = (port: number, args: readonly string[]): string =>
    execFileSync(redisCli, ['-c', '-p', String(port), ...args], { encoding: 'utf8', timeout: 30_000 });
  try {
    for (let i = 0; i < 6; i++) {
      const bus = await freePort();
      nodes.push(await startServer({
        name: `redis-cluster${i}`, command: server, tempDir: true, graceMs: 2000,
        args: (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir!,
          '--cluster-enabled', 'yes', '--cluster-config-file', `${dir}/nodes.conf`, '--cluster-port', String(bus), '--cluster-node-timeout', '2000'],
      }));
    }
    execFileSync(redisCli, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 });
    const deadline = Date.now() + 30_000;
    while (!nodes.every((n) => cli(n.port, ['CLUSTER', 'INFO']).includes('cluster_state:ok'))) {
      if (Date.now() > deadline) throw new Error('the Redis Cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 200));
    }
    return { nodes: [...nodes], url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`, cli, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
