/**
 * A private RabbitMQ node (`cqtest-<rand>@localhost`) on free ports that a test may stop and start
 * again, never the shared node on 5672. Everything the node writes (mnesia, logs, pid file, Erlang
 * cookie via HOME) lives in one temporary directory; a restart reuses it, so durable queues and
 * persistent messages survive. Plugins are off (the management plugin would clash on port 15672)
 * and the system's `rabbitmq.conf`/`rabbitmq-env.conf` are replaced by empty files.
 *
 * The server is run directly (`/usr/lib/rabbitmq/bin/rabbitmq-server`) rather than through the
 * `/usr/sbin` wrapper, which switches to the `rabbitmq` user and its shared cookie.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileTracked, freePort, requireCommand, spawnTracked, waitForPort } from '@cq/tooling/testing';

const LIB_BIN = '/usr/lib/rabbitmq/bin';

/** Path of a RabbitMQ script: the unwrapped one when installed, else whatever PATH finds. */
function script(name: string): string {
  const direct = path.join(LIB_BIN, name);
  return existsSync(direct) ? direct : name;
}

export class PrivateRabbitMQ {
  readonly node = `cqtest-${randomUUID().slice(0, 8)}@localhost`;
  private process: ChildProcess | null = null;

  private constructor(readonly port: number, readonly distPort: number, readonly dir: string) {
    writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(path.join(dir, 'rabbitmq.conf'), '');
    writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
  }

  /**
   * Picks ports and a directory and boots the node.
   * @throws MissingPeerError naming `apt-get install -y rabbitmq-server` when it is not installed.
   * @throws Error when it is not up within 60 s.
   */
  static async start(): Promise<PrivateRabbitMQ> {
    requireCommand(path.join(LIB_BIN, 'rabbitmq-server'), 'rabbitmq-server');
    const port = await freePort();
    let distPort = await freePort();
    while (distPort === port) distPort = await freePort();
    const node = new PrivateRabbitMQ(port, distPort, mkdtempSync(path.join(os.tmpdir(), 'cq-chaos-rabbit-')));
    await node.start();
    return node;
  }

  /** Broker URL (vhost `/`, guest/guest). */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}//`;
  }

  /** Boots the node on the same ports and mnesia directory; resolves once `await_startup` succeeds. */
  async start(): Promise<void> {
    if (this.process) return;
    const child = spawnTracked(script('rabbitmq-server'), [], { env: this.env(), stdio: ['ignore', 'ignore', 'ignore'], cwd: this.dir });
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
  }

  /** `rabbitmqctl stop`: closes every connection (320 CONNECTION_FORCED) and halts the node. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await this.ctl(['stop']).catch(() => child.kill('SIGTERM'));
    await exited;
  }

  /** Stops and boots the node again. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
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

  /** Stops the node and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => this.process?.kill('SIGKILL'));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private env(): NodeJS.ProcessEnv {
    const d = this.dir;
    return {
      ...process.env,
      HOME: d, // the node creates its own Erlang cookie here; rabbitmqctl reads it from the same HOME
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
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

  private ctl(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFileTracked(script('rabbitmqctl'), ['-n', this.node, ...args], { env: this.env(), cwd: this.dir, timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
  }

  private logTail(): string {
    try {
      return readFileSync(path.join(this.dir, 'log', `${this.node}.log`), 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
