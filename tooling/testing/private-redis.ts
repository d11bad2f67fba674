/**
 * A private `redis-server` that a test may stop and start again on the same port (a broker outage),
 * never the shared one on 6379. Its data lives in a temporary directory; with `appendonly` every
 * write goes to the append-only file, so what was queued survives a restart. Tracked with
 * {@link spawnTracked}, so it never outlives its test file.
 *
 * ```ts
 * const redis = await PrivateRedis.start({ appendonly: false });
 * // ... redis.url ...
 * await redis.stop();      // the outage
 * await redis.start();     // back on the same port
 * await redis.restart();   // stop and start in one call
 * await redis.destroy();   // in afterAll
 * ```
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { requireCommand } from './peers.js';
import { freePort } from './ports.js';
import { spawnTracked } from './processes.js';

export interface PrivateRedisOptions {
  /** Redis `appendonly`: keep data across restarts. Default true. */
  appendonly?: boolean;
}

export class PrivateRedis {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number, readonly dir: string, private readonly appendonly: boolean) {}

  /**
   * Picks a port and a directory and starts the server.
   * @throws MissingPeerError naming `apt-get install -y redis-server` when it is not installed.
   * @throws Error when it is not ready within 15 s.
   */
  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    requireCommand('redis-server', 'redis-server');
    const redis = new PrivateRedis(await freePort(), mkdtempSync(path.join(os.tmpdir(), 'cq-private-redis-')), options.appendonly ?? true);
    await redis.start();
    return redis;
  }

  /** Broker URL of DB 0. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** True while the server process runs. */
  get running(): boolean {
    return this.process !== null;
  }

  /** Starts the server on the same port and directory; resolves once it answers PING with PONG. */
  async start(): Promise<void> {
    if (this.process) return;
    const child = spawnTracked('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', this.appendonly ? 'yes' : 'no',
      '--dir', this.dir, '--logfile', path.join(this.dir, 'redis.log'),
    ], { stdio: 'ignore' });
    this.process = child;
    child.once('exit', () => { if (this.process === child) this.process = null; });
    const deadline = Date.now() + 15_000;
    while ((await ping(this.port)) !== '+PONG') {
      if (this.process !== child) throw new Error(`redis-server on port ${this.port} exited while starting:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} not ready after 15 s:\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (Redis writes its append-only file and exits), then waits for the exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops and starts the server on the same port and directory (a short outage). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private logTail(): string {
    try {
      return readFileSync(path.join(this.dir, 'redis.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** The first reply line to PING (`+PONG`, `-LOADING ...`), or null when nothing answers. */
function ping(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (value: string | null) => { socket.destroy(); resolve(value); };
    socket.setTimeout(1000, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.split('\r\n')[0]!);
    });
  });
}
