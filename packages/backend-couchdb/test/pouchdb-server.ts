/**
 * A private CouchDB-compatible server for the tests: `pouchdb-server --in-memory` (a devDependency;
 * its in-memory adapter needs none of the native leveldown/sqlite3 builds) on a free port, its
 * config.json and log.txt (an access log) in a temporary directory, tracked by `spawnTracked` so it
 * never outlives the test file. It runs in "admin party" mode: no credentials needed until an admin
 * is created (`PUT /_config/admins/<name>`); wrong credentials are refused with 401.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer } from '@cq/tooling/testing';

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
  const { port, dir, stop } = await startServer({
    name: 'pouchdb-server', command: process.execPath, tempDir: true,
    args: (p, d) => [bin, '--in-memory', '--port', String(p), '--host', '127.0.0.1', '--config', path.join(d!, 'config.json'), '--no-stdout-logs'],
    ready: (p) => fetch(`http://127.0.0.1:${p}/`).then((res) => res.ok, () => false),
  });
  return { port, endpoint: `http://127.0.0.1:${port}`, logFile: path.join(dir!, 'log.txt'), stop };
}
