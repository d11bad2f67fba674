/**
 * A private PostgreSQL 15 cluster that a test may crash and start again, never the shared server on
 * 5432: `initdb` into a temporary directory owned by the `postgres` OS user, `postgres` run in the
 * foreground as that user on a free port (tracked, so it never outlives the run). `fsync` stays on:
 * what a commit acknowledged must survive the crash.
 */
import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { freePort, requireCommand, spawnTracked } from '@cq/tooling/testing';

const BIN = '/usr/lib/postgresql/15/bin';

/** Runs `file` as `uid`/`gid` (tracked); rejects with its output when it fails. */
function runAs(uid: number, gid: number, file: string, args: string[], cwd: string): Promise<void> {
  const child = spawnTracked(file, args, { uid, gid, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} failed (exit ${code}):\n${output}`))));
  });
}

export class PrivatePostgres {
  private process: ChildProcess | null = null;
  /** The end of the server's stderr (its log), for failure messages. */
  log = '';

  private constructor(readonly port: number, readonly dir: string, private readonly uid: number, private readonly gid: number) {}

  /**
   * Creates and starts a cluster.
   * @throws MissingPeerError naming the package when PostgreSQL 15's server binaries are missing.
   */
  static async start(): Promise<PrivatePostgres> {
    requireCommand(`${BIN}/initdb`, 'postgresql-15');
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-pg-private-'));
    chownSync(dir, uid, gid);
    const cluster = new PrivatePostgres(await freePort(), dir, uid, gid);
    try {
      await runAs(uid, gid, `${BIN}/initdb`, ['-D', cluster.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], dir);
      await cluster.start();
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  /** URL of database `postgres` without scheme (`postgres@127.0.0.1:<port>/postgres`). */
  get address(): string {
    return `postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server; resolves once it accepts queries. */
  async start(): Promise<void> {
    if (this.process) return;
    const child = spawnTracked(`${BIN}/postgres`, ['-D', this.data, '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${this.dir}`, '-c', 'max_connections=100', '-c', `log_directory=${this.dir}`, '-c', 'logging_collector=off'],
    { uid: this.uid, gid: this.gid, cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => { this.log = (this.log + d.toString()).slice(-4000); });
    this.process = child;
    child.once('exit', () => { if (this.process === child) this.process = null; });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: `postgresql://${this.address}` });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
      }
      if (this.process !== child) throw new Error(`postgres on port ${this.port} exited while starting:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`postgres on port ${this.port} not ready after 30 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** `immediate` shutdown (SIGQUIT: no checkpoint, crash recovery on start) or `fast` (SIGINT); waits for the exit. */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    await exited;
  }

  /** Crashes the server (immediate shutdown) and starts it again on the same port and data. */
  async crashAndRestart(): Promise<void> {
    await this.stop('immediate');
    await this.start();
  }

  /** Stops the server and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop('fast');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs `sql` on database `postgres`. */
  async admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: `postgresql://${this.address}` });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}
