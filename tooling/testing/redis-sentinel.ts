/**
 * A private Redis Sentinel group for tests: a primary, `replicas` replicas and three Sentinels, each
 * a `redis-server` (Sentinels with `--sentinel`) on a free port of 127.0.0.1 in its own temporary
 * directory, tracked by {@link startServer}. The data nodes require `password` (replicas log in to
 * the primary with it), the Sentinels `sentinelPassword`; the master is monitored as `masterName`
 * with quorum 2, declared down after 1 s.
 *
 * With `hosts` (network-namespace hosts, `hosts.ts`) the group is spread over them as over machines:
 * data node i (the primary is 0) and Sentinel i run on `hosts[i % hosts.length]`, bound to its
 * address, on ports 6379 + i and 26379 + i (distinct, so that two nodes may share a host).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Host } from './hosts.js';
import { requireCommand } from './peers.js';
import { startServer, type TrackedServer } from './servers.js';

export interface RedisSentinelGroup {
  masterName: string;
  password: string;
  sentinelPassword: string;
  primary: TrackedServer;
  replicas: TrackedServer[];
  sentinels: TrackedServer[];
  /** `sentinel://:<password>@<address 1>:<p1>/<db>;sentinel://<address 2>:<p2>;…` */
  url(db: number): string;
  /** The port of the master the Sentinels name now (each data node has a port of its own). */
  masterPort(): number;
  /** The address (127.0.0.1, or its host's) of the data node or Sentinel listening on `port`. */
  addressOf(port: number): string;
  /** `redis-cli` against a data node's port, with the password; its stdout. */
  cli(port: number, args: readonly string[]): string;
  /** Stops every process and removes their directories. */
  stop(): Promise<void>;
}

export async function startRedisSentinelGroup(options: { replicas?: number; hosts?: readonly Host[] } = {}): Promise<RedisSentinelGroup> {
  const server = requireCommand('redis-server', 'redis-server');
  const redisCli = requireCommand('redis-cli', 'redis-tools');
  const masterName = 'cqmaster';
  const password = 'data-pw-3Kq';
  const sentinelPassword = 'sentinel-pw-9Zx';
  const started: TrackedServer[] = [];
  const stop = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  const hosts = options.hosts ?? [];
  /** Where node `i` of a kind runs: its host (or none), its address, and its port on a host (else a free one). */
  const place = (i: number, basePort: number) => {
    const host = hosts.length > 0 ? hosts[i % hosts.length]! : undefined;
    return { host, address: host?.ip ?? '127.0.0.1', port: host ? basePort + i : undefined };
  };
  const addresses = new Map<number, string>();
  const data = async (name: string, i: number, extra: () => string[]) => {
    const at = place(i, 6379);
    const node = await startServer({
      name, command: server, tempDir: true, graceMs: 2000, host: at.host, port: at.port,
      args: (port, dir) => ['--port', String(port), '--bind', at.address, '--save', '', '--appendonly', 'no', '--dir', dir!,
        '--requirepass', password, '--masterauth', password, ...extra()],
    });
    addresses.set(node.port, at.address);
    return node;
  };
  const addressOf = (port: number): string => addresses.get(port) ?? '127.0.0.1';
  const cli = (port: number, args: readonly string[]): string =>
    execFileSync(redisCli, ['-h', addressOf(port), '-p', String(port), '--no-auth-warning', '-a', password, ...args], { encoding: 'utf8', timeout: 5000 });
  try {
    const primary = await data('redis-primary', 0, () => []);
    started.push(primary);
    const replicas: TrackedServer[] = [];
    for (let i = 0; i < (options.replicas ?? 2); i++) {
      replicas.push(await data(`redis-replica${i}`, i + 1, () => ['--replicaof', addressOf(primary.port), String(primary.port)]));
      started.push(replicas[i]!);
    }
    const deadline = Date.now() + 20_000;
    while (!cli(primary.port, ['INFO', 'replication']).includes(`connected_slaves:${replicas.length}`)) {
      if (Date.now() > deadline) throw new Error('the replicas did not connect to the primary');
      await new Promise((r) => setTimeout(r, 100));
    }
    const sentinels: TrackedServer[] = [];
    for (let i = 0; i < 3; i++) {
      const at = place(i, 26379);
      const s = await startServer({
        name: `redis-sentinel${i}`, command: server, tempDir: true, graceMs: 2000, host: at.host, port: at.port,
        args: (port, dir) => {
          const conf = path.join(dir!, 'sentinel.conf');
          writeFileSync(conf, [
            `port ${port}`, `bind ${at.address}`, `dir ${dir}`, `requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`,
            `sentinel monitor ${masterName} ${addressOf(primary.port)} ${primary.port} 2`, `sentinel auth-pass ${masterName} ${password}`,
            `sentinel down-after-milliseconds ${masterName} 1000`, `sentinel failover-timeout ${masterName} 10000`,
            `sentinel parallel-syncs ${masterName} 1`, '',
          ].join('\n'));
          return [conf, '--sentinel'];
        },
      });
      sentinels.push(s);
      started.push(s);
      addresses.set(s.port, at.address);
    }
    const url = (db: number): string =>
      sentinels.map((s, i) => (i === 0 ? `sentinel://:${password}@${addressOf(s.port)}:${s.port}/${db}` : `sentinel://${addressOf(s.port)}:${s.port}`)).join(';');
    const masterPort = (): number => {
      const out = execFileSync(redisCli, ['-h', addressOf(sentinels[0]!.port), '-p', String(sentinels[0]!.port), '--no-auth-warning', '-a', sentinelPassword,
        'SENTINEL', 'get-master-addr-by-name', masterName], { encoding: 'utf8', timeout: 5000 });
      return Number(out.trim().split('\n')[1]);
    };
    return { masterName, password, sentinelPassword, primary, replicas, sentinels, url, masterPort, addressOf, cli, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
