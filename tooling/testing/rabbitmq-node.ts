/**
 * A private RabbitMQ node for tests (`<prefix>-<rand>@localhost`) on free ports, never the shared
 * node on 5672: the chaos tests restart it, the TLS tests add a TLS listener, cluster tests join
 * several. Everything it writes (mnesia, logs, pid file, the Erlang cookie through HOME) lives in one
 * temporary directory; a restart reuses it, so durable queues and persistent messages survive.
 * Plugins are off (the management plugin would clash on 15672) and the system's `rabbitmq.conf` /
 * `rabbitmq-env.conf` are replaced by the node's own.
 *
 * The server runs unwrapped (`/usr/lib/rabbitmq/bin/rabbitmq-server`), not through the `/usr/sbin`
 * wrapper that switches to the `rabbitmq` user and its shared cookie, so it stays in the test's
 * process group (see `spawnTracked`). It boots in about 6 s.
 *
 * On a network-namespace host (`options.host`, see `hosts.ts`) the node is a machine of its own:
 * long name `<prefix>-<rand>@<host ip>` (`RABBITMQ_USE_LONGNAME`), AMQP on `<ip>:5672` and
 * distribution on 25672 (the host's ports are its own), an `epmd` of its own started first (tracked;
 * left to itself, Erlang would start a daemon that escapes the test's process group), `guest`
 * allowed from other hosts (`loopback_users = none`), and `rabbitmqctl` run inside the host.
 * Nodes given the same `cookie` can form a cluster: {@link startRabbitCluster}. One node per host.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from './hosts.js';
import { requireCommand } from './peers.js';
import { freePort, waitForPort } from './ports.js';
import { execFileTracked, spawnTracked, stopTracked } from './processes.js';

const LIB_BIN = '/usr/lib/rabbitmq/bin';

export interface RabbitNodeOptions {
  /** Node name prefix; default `cqtest`. */
  prefix?: string;
  /** Extra `rabbitmq.conf` lines (a TLS listener, `ssl_options.*`, …); `{port}` style values are the caller's. */
  conf?: (node: { dir: string; port: number }) => string[];
  /** Also open a TLS listener on a free port (the caller's `conf` gives its `ssl_options`). */
  tls?: boolean;
  /** Run the node inside this network-namespace host (see the module note). Default: the test's own namespace, 127.0.0.1. */
  host?: Host;
  /** The Erlang cookie (`$HOME/.erlang.cookie`); the nodes of a cluster share one. Default: the node makes its own. */
  cookie?: string;
}

/** Ports of a node on a host of its own: the host's port space is private, so RabbitMQ's defaults are free. */
const HOST_PORTS = { amqp: 5672, dist: 25672, tls: 5671 };

export class RabbitNode {
  private process: ChildProcess | null = null;
  private epmd: ChildProcess | null = null;

  private constructor(
    readonly node: string,
    readonly port: number,
    readonly tlsPort: number | null,
    readonly distPort: number,
    readonly dir: string,
    /** The host the node runs in, or null for the test's own namespace. */
    readonly host: Host | null = null,
  ) {}

  /** The address its listeners are bound to: the host's, or 127.0.0.1. */
  get address(): string {
    return this.host?.ip ?? '127.0.0.1';
  }

  /**
   * Picks ports and a directory, writes the config and boots the node.
   * @throws MissingPeerError naming `apt-get install -y rabbitmq-server` when it is not installed.
   * @throws Error when it is not up within 60 s (the node is destroyed first).
   */
  static async start(options: RabbitNodeOptions = {}): Promise<RabbitNode> {
    requireCommand(path.join(LIB_BIN, 'rabbitmq-server'), 'rabbitmq-server');
    const { host } = options;
    let [port, distPort, tlsPort]: [number, number, number | undefined] = [HOST_PORTS.amqp, HOST_PORTS.dist, options.tls ? HOST_PORTS.tls : undefined];
    if (!host) {
      const ports = new Set<number>();
      while (ports.size < (options.tls ? 3 : 2)) ports.add(await freePort());
      [port, distPort, tlsPort] = [...ports] as [number, number, number | undefined];
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-rabbit-'));
    const name = `${options.prefix ?? 'cqtest'}-${randomUUID().slice(0, 8)}@${host ? host.ip : 'localhost'}`;
    const node = new RabbitNode(name, port, tlsPort ?? null, distPort, dir, host ?? null);
    const ip = node.address;
    writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
    writeFileSync(path.join(dir, 'rabbitmq.conf'), [
      `listeners.tcp.1 = ${ip}:${port}`,
      ...(tlsPort ? [`listeners.ssl.1 = ${ip}:${tlsPort}`] : []),
      ...(host ? ['loopback_users = none'] : []), // guest connects from other hosts
      ...(options.conf?.({ dir, port }) ?? []),
      '',
    ].join('\n'));
    if (options.cookie !== undefined) {
      const file = path.join(dir, '.erlang.cookie');
      writeFileSync(file, options.cookie);
      chmodSync(file, 0o400); // Erlang refuses a cookie file others can read
    }
    try {
      await node.boot();
    } catch (err) {
      await node.destroy();
      throw err;
    }
    return node;
  }

  /** Broker URL (vhost `/`, guest/guest). */
  get url(): string {
    return `amqp://guest:guest@${this.address}:${this.port}//`;
  }

  /** Boots the node on the same ports and directory; resolves once `await_startup` succeeds. */
  async boot(): Promise<void> {
    if (this.process) return;
    if (this.host && !this.epmd) {
      const epmd = this.host.spawn('epmd', ['-address', `${this.host.ip},127.0.0.1`], { stdio: 'ignore' });
      this.epmd = epmd;
      epmd.once('exit', () => { if (this.epmd === epmd) this.epmd = null; });
      await waitForPort(4369, 10_000, this.host.ip);
    }
    const server = path.join(LIB_BIN, 'rabbitmq-server');
    const options = { env: this.env(), stdio: 'ignore' as const, cwd: this.dir };
    const child = this.host ? this.host.spawn(server, [], options) : spawnTracked(server, [], options);
    this.process = child;
    child.once('exit', () => { if (this.process === child) this.process = null; });
    const deadline = Date.now() + 60_000;
    // await_startup fails at once while the node is not yet registered with epmd: ask again.
    while (!(await this.ctl(['await_startup', '--timeout', '10']).then(() => true, () => false))) {
      if (this.process !== child) throw new Error(`RabbitMQ node ${this.node} exited while booting:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${this.node} not up after 60 s:\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitForPort(this.port, 10_000, this.address);
    if (this.tlsPort) await waitForPort(this.tlsPort, 10_000, this.address);
  }

  /**
   * `kill -9`: SIGKILL to the node's whole process group (the Erlang VM and its helpers), no
   * shutdown at all: its sockets are reset, nothing is flushed. Resolves once it has exited.
   */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child?.pid) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
  }

  /** `rabbitmqctl stop`: closes every connection (320 CONNECTION_FORCED) and halts the node. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await this.ctl(['stop']).then(() => exited, () => stopTracked(child));
  }

  /** Stops and boots the node again. */
  async restart(): Promise<void> {
    await this.stop();
    await this.boot();
  }

  /** Stops the node (killing it if it does not stop) and its epmd, and deletes its directory. Safe to call twice. */
  async destroy(): Promise<void> {
    await this.stop().catch(async () => { if (this.process) await stopTracked(this.process); });
    if (this.epmd) await stopTracked(this.epmd);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Messages ready or unacknowledged in each queue of vhost `/` (`rabbitmqctl list_queues`). */
  async queueDepths(): Promise<Record<string, number>> {
    const out = await this.ctl(['list_queues', 'name', 'messages', '--quiet', '--no-table-headers']);
    const depths: Record<string, number> = {};
    for (const line of out.split('\n')) {
      const [name, messages] = line.trim().split(/\s+/);
      if (name && messages !== undefined) depths[name] = Number(messages);
    }
    return depths;
  }

  /** `rabbitmqctl -n <node> <args>` (inside the node's host, if any); resolves with its output. */
  ctl(args: readonly string[]): Promise<string> {
    const ctl = path.join(LIB_BIN, 'rabbitmqctl');
    const [file, argv] = this.host ? this.host.command(ctl, ['-n', this.node, ...args]) : [ctl, ['-n', this.node, ...args]];
    return new Promise((resolve, reject) => {
      execFileTracked(file, argv, { env: this.env(), cwd: this.dir, timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${String(stderr || err.message).trim()}`));
        else resolve(String(stdout));
      });
    });
  }

  private env(): NodeJS.ProcessEnv {
    const d = this.dir;
    return {
      ...process.env,
      HOME: d, // the node creates its own Erlang cookie here; rabbitmqctl reads it from the same HOME
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: path.join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(d, 'log'),
      RABBITMQ_PID_FILE: path.join(d, 'rabbit.pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(d, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: path.join(d, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(d, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: path.join(d, 'rabbitmq-env.conf'),
      ...(this.host ? { RABBITMQ_USE_LONGNAME: 'true' } : { ERL_EPMD_ADDRESS: '127.0.0.1' }),
    };
  }

  private logTail(): string {
    const file = path.join(this.dir, 'log', `${this.node}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
  }
}

/**
 * A RabbitMQ cluster of one node per host (see the module note), sharing one random cookie: the first
 * node boots alone, then the others boot at once, each joining it at boot (peer discovery
 * `classic_config` naming the first node), which is quicker than `join_cluster` (a `stop_app` and
 * `start_app` of some 9 s each here). Resolves with the nodes, the first being the seed.
 * @throws Error when a node does not boot; every node is destroyed first.
 */
export async function startRabbitCluster(hosts: readonly Host[], options: Omit<RabbitNodeOptions, 'host' | 'cookie'> = {}): Promise<RabbitNode[]> {
  const cookie = randomBytes(16).toString('hex').toUpperCase();
  const seed = await RabbitNode.start({ ...options, host: hosts[0]!, cookie });
  const joining = (node: { dir: string; port: number }) => [
    ...(options.conf?.(node) ?? []),
    'cluster_formation.peer_discovery_backend = classic_config',
    `cluster_formation.classic_config.nodes.1 = ${seed.node}`,
  ];
  const started = await Promise.allSettled(hosts.slice(1).map((host) => RabbitNode.start({ ...options, conf: joining, host, cookie })));
  const nodes = [seed, ...started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((node) => node.destroy()));
    throw failed.reason;
  }
  return nodes;
}
