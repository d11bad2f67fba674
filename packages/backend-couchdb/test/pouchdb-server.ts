/**
 * A private CouchDB-compatible server for the tests: `pouchdb-server --in-memory` (a devDependency;
 * its in-memory adapter needs none of the native leveldown/sqlite3 builds) on a free port, its
 * config.json and log.txt (an access log) in a temporary directory, tracked by `spawnTracked` so it
 * never outlives the test file. It runs in "admin party" mode: no credentials needed until an admin
 * is created (`PUT /_config/admins/<name>`); wrong credentials are refused with 401.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, spawnTracked, stopTracked } from '@cq/tooling/testing';

export interface PouchdbServer {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Its access log: a line `127.0.0.1 - - <METHOD> <path> <status>` per request. */
  logFile: string;
  stop(): Promise<void>;
}

/** Starts pouchdb-server and resolves once `GET /` answers (within 30 s). */
export async function startPouchdbServer(): Promise<PouchdbServer> {
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('pouchdb-server/package.json')), 'bin/pouchdb-server');
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'cq-pouchdb-'));
  const child = spawnTracked(process.execPath, [
    bin, '--in-memory', '--port', String(port), '--host', '127.0.0.1', '--config', path.join(dir, 'config.json'), '--no-stdout-logs',
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await stopTracked(child, { graceMs: 5000 });
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`pouchdb-server exited early (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    const ok = await fetch(`${endpoint}/`).then((res) => res.ok, () => false);
    if (ok) return { port, endpoint, logFile: path.join(dir, 'log.txt'), stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pouchdb-server did not answer ${endpoint}/ within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
