/**
 * A private Redis Sentinel group for tests: a primary, `replicas` replicas and three Sentinels, each
 * a `redis-server` (Sentinels with `--sentinel`) on a free port of 127.0.0.1 in its own temporary
 * directory, tracked by {@link startServer}. The data nodes require `password` (replicas log in to
 * the primary with it), the Sentinels `sentinelPassword`; the master is monitored as `masterName`
 * with quorum 2, declared down after 1 s.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireCommand } from './peers.js';
import { startServer, type TrackedServer } from './servers.js';

export interface RedisSentinelGroup {
  masterName: string;
  password: string;
  sentinelPassword: string;
  primary: TrackedServer;
  replicas: TrackedServer[];
  sentinels: TrackedServer[];
  /** `sentinel://:<password>@127.0.0.1:<p1>/<db>;sentinel://127.0.0.1:<p2>;…` */
  url(db: number): string;
  /** The port of the master the Sentinels name now. */
  masterPort(): number;
  /** `redis-cli` against a data node's port, with the password; its stdout. */
  cli(port: number, args: readonly string[]): string;
  /** Stops every process and removes their directories. */
  stop(): Promise<void>;
}

export async function startRedisSentinelGroup(options: { replicas?: number } = {}): Promise<RedisSentinelGroup> {
  const server = requireCommand('redis-server', 'redis-server');
  const redisCli = requireCommand('redis-cli', 'redis-tools');
  const masterName = 'cqmaster';
  const password = 'data-pw-3Kq';
  const sentinelPassword = 'sentinel-pw-9Zx';
  const started: TrackedServer[] = [];
  const stop = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  const data = (name: string, extra: (dir: string) => string[]) => startServer({
    name, command: server, tempDir: true, graceMs: 2000,
    args: (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir!,
      '--requirepass', password, '--masterauth', password, ...extra(dir!)],
  });
  const cli = (port: number, args: readonly string[]): string =>
    execFileSync(redisCli, ['-p', String(port), '--no-auth-warning', '-a', password, ...args], { encoding: 'utf8', timeout: 5000 });
  try {
    const primary = await data('redis-primary', () => []);
    started.push(primary);
    const replicas: TrackedServer[] = [];
    for (let i = 0; i < (options.replicas ?? 2); i++) {
      replicas.push(await data(`redis-replica${i}`, () => ['--replicaof', '127.0.0.1', String(primary.port)]));
      started.push(replicas[i]!);
    }
    const deadline = Date.now() + 20_000;
    while (!cli(primary.port, ['INFO', 'replication']).includes(`connected_slaves:${replicas.length}`)) {
      if (Date.now() > deadline) throw new Error('the replicas did not connect to the primary');
      await new Promise((r) => setTimeout(r, 100));
    }
    const sentinels: TrackedServer[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startServer({
        name: `redis-sentinel${i}`, command: server, tempDir: true, graceMs: 2000,
        args: (port, dir) => {
          const conf = path.join(dir!, 'sentinel.conf');
          writeFileSync(conf, [
            `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`,
            `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`, `sentinel auth-pass ${masterName} ${password}`,
            `sentinel down-after-milliseconds ${masterName} 1000`, `sentinel failover-timeout ${masterName} 10000`,
            `sentinel parallel-syncs ${masterName} 1`, '',
          ].join('\n'));
          return [conf, '--sentinel'];
        },
      });
      sentinels.push(s);
      started.push(s);
    }
    const url = (db: number): string =>
      sentinels.map((s, i) => (i === 0 ? `sentinel://:${password}@127.0.0.1:${s.port}/${db}` : `sentinel://127.0.0.1:${s.port}`)).join(';');
    const masterPort = (): number => {
      const out = execFileSync(redisCli, ['-p', String(sentinels[0]!.port), '--no-auth-warning', '-a', sentinelPassword,
        'SENTINEL', 'get-master-addr-by-name', masterName], { encoding: 'utf8', timeout: 5000 });
      return Number(out.trim().split('\n')[1]);
    };
    return { masterName, password, sentinelPassword, primary, replicas, sentinels, url, masterPort, cli, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
