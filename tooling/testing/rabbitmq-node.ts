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
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
}

export class RabbitNode {
  private process: ChildProcess | null = null;

  private constructor(
    readonly node: string,
    readonly port: number,
    readonly tlsPort: number | null,
    readonly distPort: number,
    readonly dir: string,
  ) {}

  /**
   * Picks ports and a directory, writes the config and boots the node.
   * @throws MissingPeerError naming `apt-get install -y rabbitmq-server` when it is not installed.
   * @throws Error when it is not up within 60 s (the node is destroyed first).
   */
  static async start(options: RabbitNodeOptions = {}): Promise<RabbitNode> {
    requireCommand(path.join(LIB_BIN, 'rabbitmq-server'), 'rabbitmq-server');
    const ports = new Set<number>();
    while (ports.size < (options.tls ? 3 : 2)) ports.add(await freePort());
    const [port, distPort, tlsPort] = [...ports] as [number, number, number | undefined];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-rabbit-'));
    const node = new RabbitNode(`${options.prefix ?? 'cqtest'}-${randomUUID().slice(0, 8)}@localhost`, port, tlsPort ?? null, distPort, dir);
    writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
    writeFileSync(path.join(dir, 'rabbitmq.conf'), [
      `listeners.tcp.1 = 127.0.0.1:${port}`,
      ...(tlsPort ? [`listeners.ssl.1 = 127.0.0.1:${tlsPort}`] : []),
      ...(options.conf?.({ dir, port }) ?? []),
      '',
    ].join('\n'));
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
    return `amqp://guest:guest@127.0.0.1:${this.port}//`;
  }

  /** Boots the node on the same ports and directory; resolves once `await_startup` succeeds. */
  async boot(): Promise<void> {
    if (this.process) return;
    const child = spawnTracked(path.join(LIB_BIN, 'rabbitmq-server'), [], { env: this.env(), stdio: 'ignore', cwd: this.dir });
    this.process = child;
    child.once('exit', () => { if (this.process === child) this.process = null; });
    const deadline = Date.now() + 60_000;
    // await_startup fails at once while the node is not yet registered with epmd: ask again.
    while (!(await this.ctl(['await_startup', '--timeout', '10']).then(() => true, () => false))) {
      if (this.process !== child) throw new Error(`RabbitMQ node ${this.node} exited while booting:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${this.node} not up after 60 s:\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitForPort(this.port, 10_000);
    if (this.tlsPort) await waitForPort(this.tlsPort, 10_000);
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

  /** Stops the node (killing it if it does not stop) and deletes its directory. Safe to call twice. */
  async destroy(): Promise<void> {
    await this.stop().catch(async () => { if (this.process) await stopTracked(this.process); });
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

  /** `rabbitmqctl -n <node> <args>`; resolves with its output. */
  ctl(args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFileTracked(path.join(LIB_BIN, 'rabbitmqctl'), ['-n', this.node, ...args], { env: this.env(), cwd: this.dir, timeout: 30_000 }, (err, stdout, stderr) => {
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
      ERL_EPMD_ADDRESS: '127.0.0.1',
    };
  }

  private logTail(): string {
    const file = path.join(this.dir, 'log', `${this.node}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
  }
}
