/**
 * Private servers for tests (memcached, dynalite, azurite, pouchdb-server, …): one process on a free
 * port of 127.0.0.1, tracked by {@link spawnTracked} so it never outlives its test file, optionally
 * in a temporary working directory removed when it stops. Or inside a network-namespace host
 * (`host`, see `hosts.ts`) on a port the caller picks (the host's ports are its own).
 */
import type { ChildProcess } from 'node:child_process';
import type { Host } from './hosts.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { spawnTracked, stopTracked } from './processes.js';

export interface StartServerOptions {
  /** What it is, for errors: `memcached`, `dynalite`, … */
  name: string;
  /** The executable (`process.execPath` for a Node bin). */
  command: string;
  /** Its arguments, given the chosen port and the working directory (null without `tempDir`). */
  args: (port: number, dir: string | null) => string[];
  /** Run in a fresh temporary directory (its cwd), deleted at stop. Default false. */
  tempDir?: boolean;
  /** Ready check; default: the port accepts TCP connections. */
  ready?: (port: number) => Promise<boolean>;
  /** How long to wait for readiness, in ms. Default 30,000. */
  timeoutMs?: number;
  /** SIGTERM grace before SIGKILL at stop, in ms. Default 5,000. */
  graceMs?: number;
  /** Run it inside this network-namespace host (the default ready check then dials the host's address). Default: here. */
  host?: Host;
  /** The port to use. Default: a free port of 127.0.0.1 (give one with `host`: the host's ports are not ours to probe). */
  port?: number;
}

export interface TrackedServer {
  port: number;
  /** Its working directory, or null. */
  dir: string | null;
  child: ChildProcess;
  /** Stops it (its process group) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts the server and resolves once it is ready.
 * @throws Error naming the server and its stderr when it exits early or is not ready in time (it is
 *   stopped first).
 */
export async function startServer(options: StartServerOptions): Promise<TrackedServer> {
  const port = options.port ?? await freePort();
  const dir = options.tempDir ? mkdtempSync(path.join(tmpdir(), `cq-${options.name}-`)) : null;
  const spawnOptions = { cwd: dir ?? undefined, stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };
  const child = options.host
    ? options.host.spawn(options.command, options.args(port, dir), spawnOptions)
    : spawnTracked(options.command, options.args(port, dir), spawnOptions);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
  const stop = async (): Promise<void> => {
    await stopTracked(child, { graceMs: options.graceMs ?? 5000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const address = options.host?.ip ?? '127.0.0.1';
  const ready = options.ready ?? (async (p: number) => waitForPort(p, 200, address).then(() => true, () => false));
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${options.name} exited early (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    if (await ready(port)) return { port, dir, child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} was not ready on port ${port} within ${timeoutMs} ms: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
